/**
 * A general KMIP client (a database, a hypervisor): keys of every AES length and
 * Triple-DES, Secret Data, Get in the registered format or the one asked, key wrapping on
 * Get, the 2.x server-set attributes, at every protocol version qkm speaks. Requests are
 * bytes built from the specification's tables (spec-ttlv.ts), sent through qkm's handler
 * over a real keystore.
 */
import { createDecipheriv, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallerIdentity } from '../../src/kmip/server-handler.js';
import { harness, type Harness } from './operations-client.js';
import {
  Op, Reason, T, VERSIONS, algorithm, all, answers, at, attributes, b, e, i, label, length, name, request, s, t, usageMask,
  type Answer, type Item, type Version,
} from './spec-ttlv.js';

const DB = { library: 'pgdb-1', role: 'general' } satisfies CallerIdentity;
const OTHER = { library: 'mongo-2', role: 'general' } satisfies CallerIdentity;
const AES = 3;
const TDES = 2;
const SYMMETRIC_KEY = 2;
const SECRET_DATA = 7;
const RAW = 1;
const OPAQUE = 2;
const TRANSPARENT = 7;
const WRAP_KEY = 0x10;
const ENCRYPT_DECRYPT = 0x0c;

let h: Harness;
beforeEach(() => { h = harness({ LIB1: 'i500' }); });
afterEach(() => h.close());

function send(caller: CallerIdentity | string, v: Version, items: [number, Item[]][], header: Item[] = []): Answer[] {
  const reply = h.handler.handleFrame(typeof caller === 'string' ? { library: caller } : caller, request(v, items, header));
  if (reply === null) throw new Error('the connection was closed');
  return answers(reply);
}

function ok(a: Answer | undefined): Answer {
  expect(a?.status, `answered ${JSON.stringify({ reason: a?.reason, message: a?.message })}`).toBe(0);
  return a!;
}

const uid = (a: Answer): string => {
  const u = at(a.payload, T.UniqueIdentifier);
  if (u?.type !== 'TextString') throw new Error('no Unique Identifier in the answer');
  return u.value;
};
const bytes = (item: ReturnType<typeof at>): Buffer => {
  if (item?.type !== 'ByteString') throw new Error(`expected a Byte String, got ${item?.type}`);
  return Buffer.from(item.value);
};
const num = (item: ReturnType<typeof at>): number | undefined => (item?.type === 'Enumeration' || item?.type === 'Integer' ? item.value : undefined);

function symmetricKey(format: number, material: Buffer, alg: number, bits: number): Item {
  const keyMaterial = format === TRANSPARENT ? s(T.KeyMaterial, [b(T.Key, material)]) : b(T.KeyMaterial, material);
  return s(T.SymmetricKey, [s(T.KeyBlock, [e(T.KeyFormatType, format), s(T.KeyValue, [keyMaterial]), e(T.CryptographicAlgorithm, alg), i(T.CryptographicLength, bits)])]);
}

function secretData(material: Buffer): Item {
  return s(T.SecretData, [e(T.SecretDataType, 2), s(T.KeyBlock, [e(T.KeyFormatType, OPAQUE), s(T.KeyValue, [b(T.KeyMaterial, material)])])]);
}

const get = (id: string, extra: Item[] = []): [number, Item[]] => [Op.Get, [t(T.UniqueIdentifier, id), ...extra]];
const byId = (operation: number, id: string): [number, Item[]] => [operation, [t(T.UniqueIdentifier, id)]];

/** Block of a Get answer: what the object says of itself. */
function blockOf(a: Answer, objectTag: number = T.SymmetricKey) {
  return at(a.payload, objectTag, T.KeyBlock);
}

const KINDS = [
  { alg: AES, bits: 128, bytes: 16 },
  { alg: AES, bits: 192, bytes: 24 },
  { alg: AES, bits: 256, bytes: 32 },
  { alg: TDES, bits: 168, bytes: 24 },
] as const;

describe.each(VERSIONS.map((v) => [label(v), v] as const))('a general client at %s', (_, v) => {

  it(`${label(v)}: Create mints a key of each AES length and Triple-DES; Get returns it with its own algorithm and length`, () => {
    const made = KINDS.map((k) => uid(ok(send(DB, v, [[Op.Create, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, [algorithm(k.alg), length(k.bits), usageMask(ENCRYPT_DECRYPT)])]]])[0])));
    expect(new Set(made).size).toBe(KINDS.length);
    KINDS.forEach((k, n) => {
      const g = ok(send(DB, v, [get(made[n]!)])[0]);
      expect(num(at(g.payload, T.ObjectType))).toBe(SYMMETRIC_KEY);
      const block = blockOf(g);
      expect(num(at(block, T.KeyFormatType))).toBe(RAW);
      expect(num(at(block, T.CryptographicAlgorithm))).toBe(k.alg);
      expect(num(at(block, T.CryptographicLength))).toBe(k.bits);
      const key = bytes(at(block, T.KeyValue, T.KeyMaterial));
      expect(key).toHaveLength(k.bytes);
      // Triple-DES keys carry odd parity in every byte.
      if (k.alg === TDES) for (const byte of key) expect(byte.toString(2).split('1').length - 1).toSatisfy((ones: number) => ones % 2 === 1);
    });
    // None came from the tape library's set.
    expect(h.engine.status().find((l) => l.library === 'LIB1')!.used).toBe(0);
  });

  it(`${label(v)}: Register stores keys of each length as sent; Get answers in the registered format and converts when asked`, () => {
    for (const k of KINDS) {
      for (const format of [RAW, TRANSPARENT]) {
        const material = randomBytes(k.bytes);
        const r = ok(send(DB, v, [[Op.Register, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, [usageMask(ENCRYPT_DECRYPT)]), symmetricKey(format, material, k.alg, k.bits)]]])[0]);
        const id = uid(r);
        const plain = blockOf(ok(send(DB, v, [get(id)])[0]));
        expect(num(at(plain, T.KeyFormatType))).toBe(format);
        expect(num(at(plain, T.CryptographicAlgorithm))).toBe(k.alg);
        expect(num(at(plain, T.CryptographicLength))).toBe(k.bits);
        const got = format === TRANSPARENT ? at(plain, T.KeyValue, T.KeyMaterial, T.Key) : at(plain, T.KeyValue, T.KeyMaterial);
        expect(bytes(got).equals(material)).toBe(true);
        const other = format === RAW ? TRANSPARENT : RAW;
        const converted = blockOf(ok(send(DB, v, [get(id, [e(T.KeyFormatType, other)])])[0]));
        expect(num(at(converted, T.KeyFormatType))).toBe(other);
        const again = other === TRANSPARENT ? at(converted, T.KeyValue, T.KeyMaterial, T.Key) : at(converted, T.KeyValue, T.KeyMaterial);
        expect(bytes(again).equals(material)).toBe(true);
      }
    }
  });

  it(`${label(v)}: a key whose material is not its length is refused, and nothing is stored`, () => {
    const count = () => h.engine.store.db.prepare('SELECT COUNT(*) FROM objects').pluck().get();
    const before = count();
    const [short, tdes] = send(DB, v, [
      [Op.Register, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, []), symmetricKey(RAW, randomBytes(16), AES, 256)]],
      [Op.Create, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, [algorithm(TDES), length(128)])]],
    ], [e(T.BatchErrorContinuationOption, 1)]);
    expect(short!.status).toBe(1);
    expect(short!.reason).toBe(Reason.InvalidField);
    expect(tdes!.status).toBe(1);
    expect(count()).toBe(before);
  });

  it(`${label(v)}: Secret Data of 96 bytes with usage mask 0: Register, Activate, Get, Get Attributes, Revoke, Destroy`, () => {
    const secret = randomBytes(96);
    const id = uid(ok(send(DB, v, [[Op.Register, [e(T.ObjectType, SECRET_DATA), attributes(v, [usageMask(0), name(`mk-${v.join('.')}`)]), secretData(secret)]]])[0]));
    ok(send(DB, v, [byId(Op.Activate, id)])[0]);
    const g = ok(send(DB, v, [get(id)])[0]);
    expect(num(at(g.payload, T.ObjectType))).toBe(SECRET_DATA);
    expect(num(at(g.payload, T.SecretData, T.SecretDataType))).toBe(2);
    const block = blockOf(g, T.SecretData);
    expect(num(at(block, T.KeyFormatType))).toBe(OPAQUE);
    expect(bytes(at(block, T.KeyValue, T.KeyMaterial)).equals(secret)).toBe(true);
    const attrs = ok(send(DB, v, [byId(Op.GetAttributes, id)])[0]);
    expect(attributeValue(v, attrs, 'Object Type', T.ObjectType)).toBe(SECRET_DATA);
    expect(attributeValue(v, attrs, 'Cryptographic Usage Mask', T.CryptographicUsageMask)).toBe(0);
    expect(attributeValue(v, attrs, 'State', 0x42008d)).toBe(2);
    ok(send(DB, v, [[Op.Revoke, [t(T.UniqueIdentifier, id), s(0x420081, [e(0x420082, 5)])]]])[0]);
    ok(send(DB, v, [byId(Op.Destroy, id)])[0]);
    expect(send(DB, v, [get(id)])[0]!.status).toBe(1);
  });

  it(`${label(v)}: a general client sees only its own objects`, () => {
    const id = uid(ok(send(DB, v, [[Op.Create, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, [algorithm(AES), length(128)])]]])[0]));
    for (const [caller, operation] of [[OTHER, Op.Get], [OTHER, Op.GetAttributes], [OTHER, Op.Destroy], ['LIB1', Op.Get]] as const) {
      const a = send(caller, v, [byId(operation, id)])[0]!;
      expect(a.status).toBe(1);
      expect(a.reason).toBe(Reason.ItemNotFound);
    }
    ok(send(DB, v, [get(id)])[0]);
  });

  it(`${label(v)}: Get wraps a key with AES Key Wrap under a key whose usage mask allows Wrap Key`, () => {
    const kekMaterial = randomBytes(32);
    const kek = uid(ok(send(DB, v, [[Op.Register, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, [usageMask(WRAP_KEY)]), symmetricKey(RAW, kekMaterial, AES, 256)]]])[0]));
    ok(send(DB, v, [byId(Op.Activate, kek)])[0]);
    const plainKek = uid(ok(send(DB, v, [[Op.Register, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, [usageMask(ENCRYPT_DECRYPT)]), symmetricKey(RAW, randomBytes(32), AES, 256)]]])[0]));
    ok(send(DB, v, [byId(Op.Activate, plainKek)])[0]);
    const material = randomBytes(16);
    const key = uid(ok(send(DB, v, [[Op.Register, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, []), symmetricKey(RAW, material, AES, 128)]]])[0]));

    const spec = (wrapper: string) => s(T.KeyWrappingSpecification, [
      e(T.WrappingMethod, 1),
      s(T.EncryptionKeyInformation, [t(T.UniqueIdentifier, wrapper), s(T.CryptographicParameters, [e(T.BlockCipherMode, 0x0d)])]),
    ]);
    const g = ok(send(DB, v, [get(key, [spec(kek)])])[0]);
    const block = blockOf(g);
    const wrapped = bytes(at(block, T.KeyValue));
    expect(wrapped).toHaveLength(24);
    const unwrap = createDecipheriv('id-aes256-wrap', kekMaterial, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    expect(Buffer.concat([unwrap.update(wrapped), unwrap.final()]).equals(material)).toBe(true);
    const data = at(block, T.KeyWrappingData);
    expect(num(at(data, T.WrappingMethod))).toBe(1);
    const info = at(data, T.EncryptionKeyInformation, T.UniqueIdentifier);
    expect(info?.type === 'TextString' && info.value).toBe(kek);
    expect(num(at(data, T.EncryptionKeyInformation, T.CryptographicParameters, T.BlockCipherMode))).toBe(0x0d);

    const refused = send(DB, v, [get(key, [spec(plainKek)])])[0]!;
    expect(refused.status).toBe(1);
    expect(refused.reason).toBe(v[0] >= 2 ? Reason.IncompatibleCryptographicUsageMask : Reason.IllegalOperation);
    // Another client's key cannot wrap for this one.
    const theirs = uid(ok(send(OTHER, v, [[Op.Register, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, [usageMask(WRAP_KEY)]), symmetricKey(RAW, randomBytes(32), AES, 256)]]])[0]));
    expect(send(DB, v, [get(key, [spec(theirs)])])[0]!.reason).toBe(Reason.ItemNotFound);
  });

  it(`${label(v)}: Key Format Type and Protection Storage Mask always have a value at 2.x, and do not exist at 1.x`, () => {
    const id = uid(ok(send(DB, v, [[Op.Create, [e(T.ObjectType, SYMMETRIC_KEY), attributes(v, [algorithm(AES), length(192)])]]])[0]));
    const attrs = ok(send(DB, v, [byId(Op.GetAttributes, id)])[0]);
    const list = ok(send(DB, v, [byId(Op.GetAttributeList, id)])[0]);
    if (v[0] >= 2) {
      // Named, always; in an answer of every attribute from 2.1 (PyKMIP, a 2.0 client, refuses a tag it does not know).
      expect(num(at(attrs.payload, T.Attributes, T.KeyFormatType))).toBe(v[1] >= 1 ? RAW : undefined);
      expect(num(at(attrs.payload, T.Attributes, T.ProtectionStorageMask))).toBe(v[1] >= 1 ? 1 : undefined);
      const named = ok(send(DB, v, [[Op.GetAttributes, [t(T.UniqueIdentifier, id), e(T.AttributeReference, T.ProtectionStorageMask), e(T.AttributeReference, T.KeyFormatType)]]])[0]);
      expect(num(at(named.payload, T.Attributes, T.ProtectionStorageMask))).toBe(1);
      expect(num(at(named.payload, T.Attributes, T.KeyFormatType))).toBe(RAW);
      const refs = all(list.payload, T.AttributeReference).map((r) => (r.type === 'Enumeration' ? r.value : -1));
      expect(refs).toEqual(expect.arrayContaining([T.KeyFormatType, T.ProtectionStorageMask]));
      expect(num(at(attrs.payload, T.Attributes, T.CryptographicLength))).toBe(192);
    } else {
      const names = all(list.payload, T.AttributeName).map((n) => (n.type === 'TextString' ? n.value : ''));
      expect(names).not.toContain('Key Format Type');
      expect(names).not.toContain('Protection Storage Mask');
      expect(names).toContain('Cryptographic Length');
      expect(attributeValue(v, attrs, 'Cryptographic Length', T.CryptographicLength)).toBe(192);
    }
  });
});

/** A single-valued attribute of a Get Attributes answer, in the version's form. */
function attributeValue(v: Version, a: Answer, attributeName: string, tag: number): number | undefined {
  if (v[0] >= 2) return num(at(a.payload, T.Attributes, tag));
  const found = all(a.payload, T.Attribute).find((x) => {
    const n = at(x, T.AttributeName);
    return n?.type === 'TextString' && n.value === attributeName;
  });
  return num(at(found, T.AttributeValue));
}
