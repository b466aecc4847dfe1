import { createDecipheriv } from 'node:crypto';
import type { RecordFields } from './record-crypto.js';

/**
 * How qkm sealed key records up to schema version 2, kept only so that the migration to
 * version 3 can open them once (reading, never writing):
 *
 *     sealed    = IV (12) | AES-256-GCM(material) (32) | tag (16)   associated data: the fields
 *     tombstone = IV (12) | tag (16)                                 associated data: marker + fields
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const LEGACY_SEALED_BYTES = IV_BYTES + 32 + TAG_BYTES;
export const LEGACY_TOMBSTONE_BYTES = IV_BYTES + TAG_BYTES;
const TOMBSTONE_MARKER = 'qkm destroyed key v1';

/** The material of a schema-2 record, or null if it does not open. */
export function openLegacyRecord(wrapKey: Buffer, f: RecordFields, sealed: Buffer): Buffer | null {
  if (sealed.length !== LEGACY_SEALED_BYTES) return null;
  return gcmOpen(wrapKey, associatedData([f.name, f.library, f.origin, f.state]), sealed);
}

/** Whether a schema-2 tombstone is the one written for these fields. */
export function legacyTombstoneIntact(wrapKey: Buffer, f: RecordFields, sealed: Buffer): boolean {
  if (sealed.length !== LEGACY_TOMBSTONE_BYTES) return false;
  return gcmOpen(wrapKey, associatedData([TOMBSTONE_MARKER, f.name, f.library, f.origin, f.state]), sealed) !== null;
}

function gcmOpen(wrapKey: Buffer, aad: Buffer, sealed: Buffer): Buffer | null {
  try {
    const d = createDecipheriv('aes-256-gcm', wrapKey, sealed.subarray(0, IV_BYTES));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([d.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), d.final()]);
  } catch {
    return null;
  }
}

/** Each field as a 16-bit big-endian length and its UTF-8 bytes. */
function associatedData(fields: string[]): Buffer {
  return Buffer.concat(fields.flatMap((x) => {
    const b = Buffer.from(x, 'utf8');
    const n = Buffer.alloc(2);
    n.writeUInt16BE(b.length);
    return [n, b];
  }));
}
