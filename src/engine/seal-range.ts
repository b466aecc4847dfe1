import { keyName } from './names.js';
import { sealRecord } from './record-crypto.js';

/** Bytes of randomness per key: 32 of material, 12 of GCM IV. */
export const RANDOM_PER_KEY = 32 + 12;
/** Bytes of one sealed record (IV, encrypted material, tag). */
export const SEALED_BYTES = 12 + 32 + 16;

export interface SealJob {
  wrapKey: Uint8Array;
  serial: string;
  library: string;
  nonce: string;
  /** Index in the set of the first key to seal. */
  from: number;
  count: number;
  /** count × RANDOM_PER_KEY bytes: each key's material then its IV. */
  randomness: Uint8Array;
}

/**
 * Seals keys [from, from + count) of a new set as unused local records, into one buffer
 * of count × SEALED_BYTES (its own ArrayBuffer, so a worker can hand it back without a
 * copy). Runs in the engine's thread or in a sealing worker; same bytes either way.
 */
export function sealRange(job: SealJob): Buffer {
  const out = Buffer.alloc(job.count * SEALED_BYTES);
  const wrapKey = Buffer.from(job.wrapKey.buffer, job.wrapKey.byteOffset, job.wrapKey.byteLength);
  const rnd = Buffer.from(job.randomness.buffer, job.randomness.byteOffset, job.randomness.byteLength);
  for (let i = 0; i < job.count; i++) {
    const name = keyName(job.serial, job.nonce, job.from + i);
    const off = i * RANDOM_PER_KEY;
    const sealed = sealRecord(wrapKey, { name, library: job.library, origin: 'local', state: 'unused' }, rnd.subarray(off, off + 32), rnd.subarray(off + 32, off + RANDOM_PER_KEY));
    sealed.copy(out, i * SEALED_BYTES);
  }
  return out;
}
