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
  const sealed = Buffer.allocUnsafe(IV_BYTES + material.length + TAG_BYTES);
  iv.copy(sealed, 0);
  c.update(material).copy(sealed, IV_BYTES);
  c.final();
  c.getAuthTag().copy(sealed, IV_BYTES + material.length);
  return sealed;
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
  const fields = [f.name, f.library, f.origin, f.state];
  let size = 0;
  for (const x of fields) size += 2 + Buffer.byteLength(x, 'utf8');
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const x of fields) {
    const n = out.write(x, off + 2, 'utf8');
    out.writeUInt16BE(n, off);
    off += 2 + n;
  }
  return out;
}
