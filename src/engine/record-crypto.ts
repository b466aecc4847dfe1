import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { KeystoreError } from '../errors.js';

/**
 * Key material at rest: AES-256-GCM under the wrap key, with the key's name as
 * associated data so material moved to another record no longer decrypts.
 * Layout: 12-byte IV | ciphertext | 16-byte tag.
 */
export function wrapMaterial(wrapKey: Buffer, name: string, material: Buffer, iv: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', wrapKey, iv);
  c.setAAD(Buffer.from(name, 'utf8'));
  const body = c.update(material);
  c.final();
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

export function unwrapMaterial(wrapKey: Buffer, name: string, wrapped: Buffer): Buffer {
  try {
    const d = createDecipheriv('aes-256-gcm', wrapKey, wrapped.subarray(0, 12));
    d.setAAD(Buffer.from(name, 'utf8'));
    d.setAuthTag(wrapped.subarray(wrapped.length - 16));
    return Buffer.concat([d.update(wrapped.subarray(12, wrapped.length - 16)), d.final()]);
  } catch (e) {
    throw new KeystoreError('KEY_RECORD_DAMAGED', `The stored key ${name} is damaged and cannot be read; run qkmcmds check, then restore from a backup.`, { cause: e });
  }
}

export interface MacFields {
  name: string;
  library: string;
  origin: string;
  state: string;
  wrapped: Buffer;
}

/** A MAC per record (truncated HMAC-SHA256, 128 bits) so edits and bit rot are found by the check. */
export function recordMac(macKey: Buffer, f: MacFields): Buffer {
  const h = createHmac('sha256', macKey);
  // Length-prefixed text fields: no two different records serialise alike.
  for (const s of [f.name, f.library, f.origin, f.state]) {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(b.length);
    h.update(len).update(b);
  }
  return h.update(f.wrapped).digest().subarray(0, 16);
}
