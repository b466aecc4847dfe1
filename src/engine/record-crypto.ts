import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * A key record at rest is sealed with AES-256-GCM under the keystore's wrap key:
 *
 *     sealed = IV (12) | encrypted key material (32) | tag (16)
 *
 * The associated data is the record's name, owner library, origin and state, so the
 * GCM tag is the record's MAC over name, library, material and state: an edited state,
 * a record moved to another library, material swapped between records or a flipped bit
 * all fail to open. One cipher operation per key keeps generating a 4096-key set fast;
 * a state change (allocation) re-seals the record with a fresh IV.
 */
export interface RecordFields {
  name: string;
  library: string;
  origin: string;
  state: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function sealRecord(wrapKey: Buffer, f: RecordFields, material: Buffer, iv: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', wrapKey, iv);
  c.setAAD(associatedData(f));
  const body = c.update(material);
  c.final();
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

/** The material, or null if the record is not exactly what was sealed. */
export function openRecord(wrapKey: Buffer, f: RecordFields, sealed: Buffer): Buffer | null {
  if (!Buffer.isBuffer(sealed) || sealed.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', wrapKey, sealed.subarray(0, IV_BYTES));
    d.setAAD(associatedData(f));
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([d.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), d.final()]);
  } catch {
    return null;
  }
}

/** Length-prefixed fields, so no two different records serialise alike. */
function associatedData(f: RecordFields): Buffer {
  const parts = [f.name, f.library, f.origin, f.state].map((s) => Buffer.from(s, 'utf8'));
  const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + 2 + p.length, 0));
  let off = 0;
  for (const p of parts) {
    off = out.writeUInt16BE(p.length, off);
    off += p.copy(out, off);
  }
  return out;
}
