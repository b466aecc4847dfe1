import { keyName } from './names.js';
import { MATERIAL_BYTES, type RecordKeys, RecordSealer } from './record-crypto.js';

export interface SealJob {
  keys: RecordKeys;
  serial: string;
  library: string;
  /** The set's 64-bit nonce, 16 hex digits. */
  nonce: string;
  /** Index in the set of the first key to seal. */
  from: number;
  /** The fresh material of keys from, from + 1, ...: 32 bytes each. */
  materials: Uint8Array;
}

/**
 * Seals keys [from, from + materials/32) of a new set as unused local records, into one
 * buffer of SEALED_BYTES each (its own ArrayBuffer, so a worker can hand it back without
 * a copy). Runs in the engine's thread or in a sealing worker; same bytes either way.
 */
export function sealRange(job: SealJob): Buffer {
  const materials = Buffer.from(job.materials.buffer, job.materials.byteOffset, job.materials.byteLength);
  if (materials.length % MATERIAL_BYTES !== 0) throw new Error(`sealRange: ${materials.length} bytes of material is not a whole number of keys`);
  return new RecordSealer(job.keys).sealRun(Buffer.from(job.nonce, 'hex'), job.from, materials, { library: job.library, origin: 'local', state: 'unused' },
    (i) => keyName(job.serial, job.nonce, i));
}
