import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  IV_BYTES, MATERIAL_BYTES, RecordSealer, SEALED_BYTES, TAG_BYTES, TOMBSTONE_BYTES, type RecordFields,
} from '../../src/engine/record-crypto.js';

const keys = { encKey: randomBytes(32), macKey: randomBytes(32) };
const sealer = new RecordSealer(keys);
const fields: RecordFields = { name: 'QKMTEST01-0011223344556677-000005', library: 'LIB1', origin: 'local', state: 'unused' };

/** The documented tag, computed the slow, obvious way. */
function expectedTag(kind: string, f: RecordFields, body: Buffer): Buffer {
  const h = createHmac('sha256', keys.macKey).update(kind);
  for (const x of [f.name, f.library, f.origin, f.state]) {
    const b = Buffer.from(x, 'utf8');
    h.update(Buffer.from([b.length >> 8, b.length & 0xff])).update(b);
  }
  return h.update(body).digest().subarray(0, TAG_BYTES);
}

describe('key records (encrypt-then-MAC)', () => {
  it('seals as IV | AES-256-CTR(material) | HMAC-SHA256 tag, exactly as documented', () => {
    const material = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const sealed = sealer.seal(fields, material, iv);
    expect(sealed).toHaveLength(SEALED_BYTES);
    expect(sealed.subarray(0, IV_BYTES)).toEqual(iv);
    const ct = sealed.subarray(IV_BYTES, IV_BYTES + MATERIAL_BYTES);
    expect(createDecipheriv('aes-256-ctr', keys.encKey, iv).update(ct)).toEqual(material);
    expect(sealed.subarray(IV_BYTES + MATERIAL_BYTES)).toEqual(expectedTag('K', fields, sealed.subarray(0, IV_BYTES + MATERIAL_BYTES)));
    expect(sealer.open(fields, sealed)).toEqual(material);
  });

  it('encrypts exactly as an AES-256-CTR cipher, also where the counter carries across bytes', () => {
    const ivs = [
      Buffer.alloc(IV_BYTES, 0xff), // the counter wraps to zero
      Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
      Buffer.from('0011223344556677ffffffffffffffff', 'hex'), // carries out of the low 64 bits
      ...Array.from({ length: 50 }, () => randomBytes(IV_BYTES)),
    ];
    for (const iv of ivs) {
      const material = randomBytes(MATERIAL_BYTES);
      const sealed = sealer.seal(fields, material, iv);
      const ct = sealed.subarray(IV_BYTES, IV_BYTES + MATERIAL_BYTES);
      expect(ct).toEqual(createCipheriv('aes-256-ctr', keys.encKey, iv).update(material));
      expect(sealer.open(fields, sealed)).toEqual(material);
    }
  });

  it('names with characters outside ASCII are tagged by their UTF-8 bytes', () => {
    const f = { ...fields, library: 'bibliothèque-北' };
    const sealed = sealer.seal(f, randomBytes(32), randomBytes(IV_BYTES));
    expect(sealed.subarray(IV_BYTES + MATERIAL_BYTES)).toEqual(expectedTag('K', f, sealed.subarray(0, IV_BYTES + MATERIAL_BYTES)));
    expect(sealer.intact(f, sealed)).toBe(true);
  });

  it('fails on any changed field, flipped bit, or foreign key', () => {
    const sealed = sealer.seal(fields, randomBytes(32), randomBytes(IV_BYTES));
    for (const change of [{ name: `${fields.name}0` }, { library: 'LIB2' }, { origin: 'peer' }, { state: 'allocated' }]) {
      expect(sealer.open({ ...fields, ...change }, sealed)).toBeNull();
    }
    for (let bit = 0; bit < SEALED_BYTES * 8; bit += 7) {
      const bad = Buffer.from(sealed);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(sealer.open(fields, bad)).toBeNull();
    }
    expect(sealer.open(fields, sealed.subarray(0, SEALED_BYTES - 1))).toBeNull();
    expect(new RecordSealer({ encKey: keys.encKey, macKey: randomBytes(32) }).open(fields, sealed)).toBeNull();
  });

  it('seals a run of a set in one pass, each record opening alone with its own keystream', () => {
    const nonce = Buffer.from('0011223344556677', 'hex');
    const materials = randomBytes(10 * 32);
    const name = (i: number) => `QKMTEST01-0011223344556677-${String(i).padStart(6, '0')}`;
    const run = sealer.sealRun(nonce, 5, materials, { library: 'LIB1', origin: 'local', state: 'unused' }, name);
    expect(run).toHaveLength(10 * SEALED_BYTES);
    const ivs = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const rec = run.subarray(i * SEALED_BYTES, (i + 1) * SEALED_BYTES);
      ivs.add(rec.subarray(0, IV_BYTES).toString('hex'));
      expect(rec.subarray(0, 8)).toEqual(nonce);
      expect(rec.readBigUInt64BE(8)).toBe(BigInt(2 * (5 + i)));
      expect(sealer.open({ ...fields, name: name(5 + i) }, rec)).toEqual(materials.subarray(i * 32, (i + 1) * 32));
      // Records of one set cannot be swapped: each name is under its tag.
      expect(sealer.open({ ...fields, name: name(6 + i) }, rec)).toBeNull();
    }
    expect(ivs.size).toBe(10);
  });

  it('retags for a new state without touching the material', () => {
    const material = randomBytes(32);
    const sealed = sealer.seal(fields, material, randomBytes(IV_BYTES));
    const allocated = sealer.retag({ ...fields, state: 'allocated' }, sealed);
    expect(allocated.subarray(0, IV_BYTES + MATERIAL_BYTES)).toEqual(sealed.subarray(0, IV_BYTES + MATERIAL_BYTES));
    expect(sealer.open({ ...fields, state: 'allocated' }, allocated)).toEqual(material);
    expect(sealer.open(fields, allocated)).toBeNull();
    expect(sealer.open(fields, sealed)).toEqual(material); // the original buffer is untouched
  });

  it('a tombstone proves the destroyed record and holds nothing else', () => {
    const t = sealer.tombstone(fields);
    expect(t).toHaveLength(TOMBSTONE_BYTES);
    expect(t).toEqual(expectedTag('D', fields, Buffer.alloc(0)));
    expect(sealer.tombstoneIntact(fields, t)).toBe(true);
    expect(sealer.tombstoneIntact({ ...fields, library: 'LIB2' }, t)).toBe(false);
    expect(sealer.open(fields, t)).toBeNull();
    // A live record's tag is never a valid tombstone for the same fields (the kind byte differs).
    const sealed = sealer.seal(fields, randomBytes(32), randomBytes(IV_BYTES));
    expect(sealer.tombstoneIntact(fields, sealed.subarray(IV_BYTES + MATERIAL_BYTES))).toBe(false);
  });
});
