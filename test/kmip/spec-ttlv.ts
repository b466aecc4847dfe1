/**
 * Request bytes written from the KMIP specification's own tables (Tag, Object Type,
 * Operation ... as the specification numbers them), by a TTLV writer of a dozen lines, so
 * the tests of the general client's operations depend on neither qkm's tag tables nor its
 * encoder. Answers are decoded with qkm's decoder (proven against PyKMIP's bytes in the
 * golden tests) and read by the specification's tag numbers.
 */
import { decodeTtlv, type TtlvItem } from '../../src/kmip/ttlv/index.js';

/** KMIP tags, from the specification's Tag table (1.x §9.1.3.1, 2.x §11.1). */
export const T = {
  ActivationDate: 0x420001,
  Attribute: 0x420008,
  AttributeName: 0x42000a,
  AttributeValue: 0x42000b,
  BatchCount: 0x42000d,
  BatchErrorContinuationOption: 0x42000e,
  BatchItem: 0x42000f,
  BlockCipherMode: 0x420011,
  CryptographicAlgorithm: 0x420028,
  CryptographicLength: 0x42002a,
  CryptographicParameters: 0x42002b,
  CryptographicUsageMask: 0x42002c,
  EncryptionKeyInformation: 0x420036,
  Key: 0x42003f,
  KeyBlock: 0x420040,
  KeyFormatType: 0x420042,
  KeyMaterial: 0x420043,
  KeyValue: 0x420045,
  KeyWrappingData: 0x420046,
  KeyWrappingSpecification: 0x420047,
  Name: 0x420053,
  NameType: 0x420054,
  NameValue: 0x420055,
  ObjectType: 0x420057,
  Operation: 0x42005c,
  ProtocolVersion: 0x420069,
  ProtocolVersionMajor: 0x42006a,
  ProtocolVersionMinor: 0x42006b,
  QueryFunction: 0x420074,
  RequestHeader: 0x420077,
  RequestMessage: 0x420078,
  RequestPayload: 0x420079,
  ResponsePayload: 0x42007c,
  ResultMessage: 0x42007d,
  ResultReason: 0x42007e,
  ResultStatus: 0x42007f,
  SecretData: 0x420085,
  SecretDataType: 0x420086,
  SymmetricKey: 0x42008f,
  TemplateAttribute: 0x420091,
  UniqueIdentifier: 0x420094,
  WrappingMethod: 0x42009e,
  AttributeReference: 0x42013b,
  Attributes: 0x420125,
  LogMessage: 0x420141,
  ProtectionStorageMask: 0x42015e,
  InteropFunction: 0x420160,
  InteropIdentifier: 0x420161,
} as const;

/** Operation enumeration. */
export const Op = {
  Create: 0x01, Register: 0x03, Locate: 0x08, Get: 0x0a, GetAttributes: 0x0b, GetAttributeList: 0x0c,
  AddAttribute: 0x0d, ModifyAttribute: 0x0e, Activate: 0x12, Revoke: 0x13, Destroy: 0x14, Query: 0x18,
  DiscoverVersions: 0x1e, Log: 0x2c, Interop: 0x34,
} as const;

/** Result Reason enumeration (the ones these tests expect). */
export const Reason = {
  ItemNotFound: 0x01, OperationNotSupported: 0x05, InvalidField: 0x07, FeatureNotSupported: 0x08, IllegalOperation: 0x0b,
  PermissionDenied: 0x0c, KeyFormatTypeNotSupported: 0x10, AttributeReadOnly: 0x22, IncompatibleCryptographicUsageMask: 0x29,
  WrongKeyLifecycleState: 0x43,
} as const;

export type Item = { tag: number; type: number; body: Buffer };

const enc = (tag: number, type: number, body: Buffer): Item => ({ tag, type, body });
const int32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };

export const s = (tag: number, children: Item[]): Item => enc(tag, 0x01, Buffer.concat(children.map(bytesOf)));
export const i = (tag: number, v: number): Item => enc(tag, 0x02, int32(v));
export const e = (tag: number, v: number): Item => enc(tag, 0x05, int32(v));
export const t = (tag: number, v: string): Item => enc(tag, 0x07, Buffer.from(v, 'utf8'));
export const b = (tag: number, v: Uint8Array): Item => enc(tag, 0x08, Buffer.from(v));
export const d = (tag: number, seconds: number): Item => { const x = Buffer.alloc(8); x.writeBigInt64BE(BigInt(seconds)); return enc(tag, 0x09, x); };

/** Tag (3 bytes), type, length, value padded to 8 bytes (TTLV, KMIP 1.x §9.1.1). */
export function bytesOf(item: Item): Buffer {
  const head = Buffer.alloc(8);
  head.writeUIntBE(item.tag, 0, 3);
  head[3] = item.type;
  head.writeUInt32BE(item.body.length, 4);
  const pad = (8 - (item.body.length % 8)) % 8;
  return Buffer.concat([head, item.body, Buffer.alloc(pad)]);
}

export type Version = readonly [number, number];

/** A request message of these batch items (operation, payload children), with header extras. */
export function request(v: Version, items: [number, Item[]][], header: Item[] = []): Buffer {
  return bytesOf(s(T.RequestMessage, [
    s(T.RequestHeader, [s(T.ProtocolVersion, [i(T.ProtocolVersionMajor, v[0]), i(T.ProtocolVersionMinor, v[1])]), ...header, i(T.BatchCount, items.length)]),
    ...items.map(([op, payload]) => s(T.BatchItem, [e(T.Operation, op), s(T.RequestPayload, payload)])),
  ]));
}

/**
 * Attributes of a Create or Register in the version's form: 1.x a Template-Attribute of
 * named Attributes, 2.x an Attributes structure of tagged values.
 */
export function attributes(v: Version, attrs: { name: string; tag: number; item: (tag: number) => Item }[]): Item {
  if (v[0] >= 2) return s(T.Attributes, attrs.map((a) => a.item(a.tag)));
  return s(T.TemplateAttribute, attrs.map((a) => s(T.Attribute, [t(T.AttributeName, a.name), a.item(T.AttributeValue)])));
}

export const algorithm = (value: number) => ({ name: 'Cryptographic Algorithm', tag: T.CryptographicAlgorithm, item: (tag: number) => e(tag, value) });
export const length = (value: number) => ({ name: 'Cryptographic Length', tag: T.CryptographicLength, item: (tag: number) => i(tag, value) });
export const usageMask = (value: number) => ({ name: 'Cryptographic Usage Mask', tag: T.CryptographicUsageMask, item: (tag: number) => i(tag, value) });
export const name = (value: string) => ({ name: 'Name', tag: T.Name, item: (tag: number) => s(tag, [t(T.NameValue, value), e(T.NameType, 1)]) });

/** One answered batch item: its status, reason, message and payload. */
export interface Answer { status: number; reason?: number; message?: string; payload?: TtlvItem }

export function answers(bytes: Uint8Array): Answer[] {
  const message = decodeTtlv(bytes);
  if (message.type !== 'Structure') throw new Error('the answer is not a structure');
  return message.value.filter((c) => c.tag === T.BatchItem).map((item) => {
    const child = (tag: number) => (item.type === 'Structure' ? item.value.find((c) => c.tag === tag) : undefined);
    const num = (tag: number) => { const c = child(tag); return c?.type === 'Enumeration' ? c.value : undefined; };
    const msg = child(T.ResultMessage);
    const payload = child(T.ResponsePayload);
    return {
      status: num(T.ResultStatus)!,
      ...(num(T.ResultReason) !== undefined && { reason: num(T.ResultReason) }),
      ...(msg?.type === 'TextString' && { message: msg.value }),
      ...(payload !== undefined && { payload }),
    };
  });
}

/** The item at this path of tags under `root`. */
export function at(root: TtlvItem | undefined, ...tags: number[]): TtlvItem | undefined {
  let here = root;
  for (const tag of tags) here = here?.type === 'Structure' ? here.value.find((c) => c.tag === tag) : undefined;
  return here;
}

export function all(root: TtlvItem | undefined, tag: number): TtlvItem[] {
  return root?.type === 'Structure' ? root.value.filter((c) => c.tag === tag) : [];
}

export const VERSIONS: readonly Version[] = [[1, 0], [1, 1], [1, 2], [1, 3], [1, 4], [2, 0], [2, 1]];
export const label = (v: Version): string => `KMIP ${v[0]}.${v[1]}`;
