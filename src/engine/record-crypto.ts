import { createCipheriv, hash, timingSafeEqual, type Cipher } from 'node:crypto';

/**
 * Key records at rest, encrypt-then-MAC under two keys derived from the master key:
 *
 *     sealed    = IV (16) | AES-256-CTR(encKey, IV, material) (32, or the material's own length) | tag (16)
 *     tombstone = tag (16)                      (a destroyed key: no material remains)
 *     tag       = HMAC-SHA256(macKey, kind | name | library | origin | state | IV | ciphertext), first 16 bytes
 *
 * The tag is the record's MAC over name, owner library, origin, allocation state and the
 * encrypted material: an edited state, a record moved to another library, material swapped
 * between records or a flipped bit all fail. Why not AES-GCM (which qkm used up to schema
 * version 2): Node pays about 6 µs to set up a GCM context per record, so a million-key
 * check spent most of its time there. Here the check verifies tags only (one HMAC, about
 * 2 µs, never decrypting), a new set is encrypted in one CTR pass, and allocation changes
 * only the tag. A set's IVs are its 64-bit nonce followed by a counter that grows by two
 * per key (32 bytes of material are two AES blocks), so no two records share a keystream.
 * An object a client registered or had minted may hold material of another length (an
 * AES-128 key, a Triple-DES key, a secret): its record is as long as its material, which
 * the tag covers, and its IV is random.
 */
export interface RecordFields {
  name: string;
  library: string;
  origin: string;
  state: string;
}

/** The raw keys; plain bytes so that they can be handed to worker threads. */
export interface RecordKeys {
  encKey: Uint8Array;
  macKey: Uint8Array;
}

export const IV_BYTES = 16;
export const MATERIAL_BYTES = 32;
export const TAG_BYTES = 16;
export const SEALED_BYTES = IV_BYTES + MATERIAL_BYTES + TAG_BYTES;
export const TOMBSTONE_BYTES = TAG_BYTES;

const KIND_KEY = 0x4b; // 'K'
const KIND_DESTROYED = 0x44; // 'D'
const SHA256_BLOCK = 64;

export class RecordSealer {
  private readonly encKey: Buffer;
  private readonly mac: Hmac256;
  private readonly keystream: Keystream;

  constructor(keys: RecordKeys) {
    this.encKey = Buffer.from(keys.encKey);
    this.mac = new Hmac256(Buffer.from(keys.macKey));
    this.keystream = new Keystream(this.encKey);
  }

  /** One record, with a fresh random IV (registered keys, migration). */
  seal(f: RecordFields, material: Buffer, iv: Buffer): Buffer {
    if (material.length === 0) throw new Error(`record ${f.name} would seal no material`);
    const out = Buffer.allocUnsafe(IV_BYTES + material.length + TAG_BYTES);
    iv.copy(out, 0, 0, IV_BYTES);
    if (material.length === MATERIAL_BYTES) this.keystream.xor(out, 0, material, 0, out, IV_BYTES);
    else this.ctr(out.subarray(0, IV_BYTES), material).copy(out, IV_BYTES);
    this.writeTag(f, out, 0, material.length);
    return out;
  }

  /** CTR for material that is not the usual 32 bytes: rare (registered and minted objects), so OpenSSL's cipher serves. */
  private ctr(iv: Buffer, input: Buffer): Buffer {
    return createCipheriv('aes-256-ctr', this.encKey, iv).update(input);
  }

  /**
   * Records `from` .. `from + count - 1` of a set, into one buffer of count × SEALED_BYTES:
   * the whole run is encrypted in a single CTR pass starting at record `from`'s IV.
   * `materials` holds count × 32 bytes; `names(i)` names record i of the set.
   */
  sealRun(nonce: Buffer, from: number, materials: Buffer, fields: Omit<RecordFields, 'name'>, names: (i: number) => string): Buffer {
    const count = materials.length / MATERIAL_BYTES;
    const out = Buffer.allocUnsafe(count * SEALED_BYTES);
    const encrypted = createCipheriv('aes-256-ctr', this.encKey, setIv(nonce, from)).update(materials);
    const f = { ...fields, name: '' };
    for (let i = 0; i < count; i++) {
      const at = i * SEALED_BYTES;
      writeSetIv(out, at, nonce, from + i);
      encrypted.copy(out, at + IV_BYTES, i * MATERIAL_BYTES, (i + 1) * MATERIAL_BYTES);
      f.name = names(from + i);
      this.writeTag(f, out, at, MATERIAL_BYTES);
    }
    return out;
  }

  /** The material, or null if the record is not exactly what was sealed for these fields. */
  open(f: RecordFields, sealed: Buffer): Buffer | null {
    if (!this.intact(f, sealed)) return null;
    const length = sealed.length - IV_BYTES - TAG_BYTES;
    if (length !== MATERIAL_BYTES) return this.ctr(sealed.subarray(0, IV_BYTES), sealed.subarray(IV_BYTES, IV_BYTES + length));
    const material = Buffer.allocUnsafe(MATERIAL_BYTES);
    this.keystream.xor(sealed, 0, sealed, IV_BYTES, material, 0);
    return material;
  }

  /** Whether a live record's tag holds for these fields (the check: no decryption). */
  intact(f: RecordFields, sealed: Buffer): boolean {
    if (!Buffer.isBuffer(sealed) || sealed.length <= IV_BYTES + TAG_BYTES) return false;
    const length = sealed.length - IV_BYTES - TAG_BYTES;
    const tag = this.tag(KIND_KEY, f, sealed, 0, IV_BYTES + length);
    return timingSafeEqual(tag.subarray(0, TAG_BYTES), sealed.subarray(IV_BYTES + length));
  }

  /** The same record under new fields (an allocation state change): only the tag changes. Verify it first. */
  retag(f: RecordFields, sealed: Buffer): Buffer {
    const out = Buffer.from(sealed);
    this.writeTag(f, out, 0, sealed.length - IV_BYTES - TAG_BYTES);
    return out;
  }

  /** What a destroyed key's record keeps: a tag over its fields, proving the record, with no material. */
  tombstone(f: RecordFields): Buffer {
    return this.tag(KIND_DESTROYED, f, EMPTY, 0, 0).subarray(0, TAG_BYTES);
  }

  tombstoneIntact(f: RecordFields, sealed: Buffer): boolean {
    return isTombstone(sealed) && timingSafeEqual(this.tombstone(f), sealed);
  }

  /** Tags the record at `at` in `buf` (its IV and `length` bytes of ciphertext) and writes the tag after them. */
  private writeTag(f: RecordFields, buf: Buffer, at: number, length: number): void {
    this.tag(KIND_KEY, f, buf, at, at + IV_BYTES + length).copy(buf, at + IV_BYTES + length, 0, TAG_BYTES);
  }

  /** The full HMAC over kind, the length-prefixed fields (no two records serialise alike) and body[start, end). */
  private tag(kind: number, f: RecordFields, body: Buffer, start: number, end: number): Buffer {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const m = this.mac.message(1 + 4 * 2 + 3 * (f.name.length + f.library.length + f.origin.length + f.state.length) + end - start);
    m[0] = kind;
    let off = writeField(m, 1, f.name);
    off = writeField(m, off, f.library);
    off = writeField(m, off, f.origin);
    off = writeField(m, off, f.state);
    off += body.copy(m, off, start, end);
    return this.mac.digest(off);
  }
}

const EMPTY = Buffer.alloc(0);

/** A 16-bit big-endian length and the UTF-8 bytes; returns the offset after them. */
function writeField(m: Buffer, off: number, x: string): number {
  const n = m.write(x, off + 2, 'utf8');
  m[off] = n >> 8;
  m[off + 1] = n & 0xff;
  return off + 2 + n;
}

export function isTombstone(sealed: Buffer): boolean {
  return Buffer.isBuffer(sealed) && sealed.length === TOMBSTONE_BYTES;
}

/** Record `index` of the set with this 8-byte nonce starts its keystream here: nonce | 2 × index. */
function setIv(nonce: Buffer, index: number): Buffer {
  const iv = Buffer.alloc(IV_BYTES);
  writeSetIv(iv, 0, nonce, index);
  return iv;
}

function writeSetIv(buf: Buffer, at: number, nonce: Buffer, index: number): void {
  nonce.copy(buf, at, 0, 8);
  const counter = 2 * index; // below 2^53: exact as a number
  buf.writeUInt32BE(Math.floor(counter / 2 ** 32), at + 8);
  buf.writeUInt32BE(counter % 2 ** 32, at + 12);
}

/**
 * AES-256-CTR for one record's 32 bytes, from one AES-ECB context kept for the sealer's
 * life: the two counter blocks are encrypted in one call and XORed in. Same bytes as a
 * CTR cipher (record-crypto test), without OpenSSL setting up a cipher context per record,
 * which is most of what opening a record for Get cost (and more so when the CPU's caches
 * are cold, as they are for a library asking for one key now and then). ECB without
 * padding keeps no state between calls, so one context serves every record.
 */
class Keystream {
  private readonly ecb: Cipher;
  private readonly counters = Buffer.alloc(MATERIAL_BYTES);

  constructor(key: Buffer) {
    this.ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  }

  /** out[outAt..+32) = input[inAt..+32) XOR the CTR keystream that starts at the IV at iv[ivAt..+16). */
  xor(iv: Buffer, ivAt: number, input: Buffer, inAt: number, out: Buffer, outAt: number): void {
    const c = this.counters;
    iv.copy(c, 0, ivAt, ivAt + IV_BYTES);
    iv.copy(c, IV_BYTES, ivAt, ivAt + IV_BYTES);
    // The second block's counter is the IV plus one, carried across all 128 bits as OpenSSL's CTR does.
    for (let i = MATERIAL_BYTES - 1; i >= IV_BYTES; i--) {
      c[i] = (c[i]! + 1) & 0xff;
      if (c[i] !== 0) break;
    }
    const ks = this.ecb.update(c);
    for (let i = 0; i < MATERIAL_BYTES; i++) out[outAt + i] = input[inAt + i]! ^ ks[i]!;
  }
}

/**
 * HMAC-SHA256 (RFC 2104) with its padded key blocks computed once: two one-shot SHA-256
 * calls per message instead of a new Hmac object, which costs more than the hashing
 * itself for records this small. The message is written straight into a buffer that
 * already holds the inner key block. Equal to createHmac's output (record-crypto test).
 */
class Hmac256 {
  private inner: Buffer;
  private readonly outer = Buffer.alloc(SHA256_BLOCK + 32);

  constructor(key: Buffer) {
    if (key.length > SHA256_BLOCK) throw new Error('HMAC key longer than a block');
    this.inner = Buffer.alloc(SHA256_BLOCK + 256);
    for (let i = 0; i < SHA256_BLOCK; i++) {
      const k = key[i] ?? 0;
      this.inner[i] = k ^ 0x36;
      this.outer[i] = k ^ 0x5c;
    }
  }

  /** Room for a message of up to `max` bytes; valid until the next call. */
  message(max: number): Buffer {
    if (SHA256_BLOCK + max > this.inner.length) {
      const grown = Buffer.alloc(SHA256_BLOCK + max);
      this.inner.copy(grown, 0, 0, SHA256_BLOCK);
      this.inner = grown;
    }
    return this.inner.subarray(SHA256_BLOCK);
  }

  /** The HMAC of the first `length` bytes written into message(). */
  digest(length: number): Buffer {
    hash('sha256', this.inner.subarray(0, SHA256_BLOCK + length), 'buffer').copy(this.outer, SHA256_BLOCK);
    return hash('sha256', this.outer, 'buffer');
  }
}
