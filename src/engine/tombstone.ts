import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { RecordFields } from './record-crypto.js';

/**
 * What a destroyed key's record holds instead of its sealed material: an AES-256-GCM
 * tag over the record's fields and the word "destroyed", with no ciphertext at all.
 *
 *     tombstone = IV (12) | tag (16)
 *
 * The material is gone for good (nothing encrypted remains to open), yet the check can
 * still prove the record is the one we wrote: a tombstone moved to another key, another
 * library or another allocation state fails, and so does a live record whose object the
 * database says is destroyed. Its length tells it apart from a sealed record (60 bytes).
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const TOMBSTONE_BYTES = IV_BYTES + TAG_BYTES;
const PURPOSE = 'qkm destroyed key v1';

export function isTombstone(sealed: Buffer): boolean {
  return Buffer.isBuffer(sealed) && sealed.length === TOMBSTONE_BYTES;
}

export function sealTombstone(wrapKey: Buffer, f: RecordFields, iv: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', wrapKey, iv);
  c.setAAD(associatedData(f));
  c.final();
  return Buffer.concat([iv, c.getAuthTag()]);
}

export function tombstoneIntact(wrapKey: Buffer, f: RecordFields, sealed: Buffer): boolean {
  if (!isTombstone(sealed)) return false;
  try {
    const d = createDecipheriv('aes-256-gcm', wrapKey, sealed.subarray(0, IV_BYTES));
    d.setAAD(associatedData(f));
    d.setAuthTag(sealed.subarray(IV_BYTES));
    d.final();
    return true;
  } catch {
    return false;
  }
}

function associatedData(f: RecordFields): Buffer {
  const parts = [PURPOSE, f.name, f.library, f.origin, f.state].map((s) => Buffer.from(s, 'utf8'));
  const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + 2 + p.length, 0));
  let off = 0;
  for (const p of parts) {
    off = out.writeUInt16BE(p.length, off);
    off += p.copy(out, off);
  }
  return out;
}
