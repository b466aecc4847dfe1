/**
 * A small KMIP client for the operation tests: builds request messages with the
 * codec's client-side encoder, sends them through the handler as a library would, and
 * decodes the answer. Attributes go in the form the request's version uses.
 */
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { ManagedObjects } from '../../src/engine/objects.js';
import {
  attributesForVersion,
  decodeResponseMessage,
  encodeRequestMessage,
  nameToAttributeReference,
  type KmipAttribute,
  type ProtocolVersion,
  type RequestBatchItem,
  type RequestHeader,
  type ResponseBatchItem,
  type ResponseMessage,
} from '../../src/kmip/messages/index.js';
import { type CallerIdentity, KmipRequestHandler } from '../../src/kmip/server-handler.js';
import {
  KeyFormatType,
  ObjectType,
  Operation,
  Tag,
  byteString,
  enumeration,
  findChild,
  findChildren,
  integer,
  structure,
  textString,
  type TtlvItem,
  type TtlvValue,
} from '../../src/kmip/ttlv/index.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

export const V = {
  '1.0': { major: 1, minor: 0 },
  '1.2': { major: 1, minor: 2 },
  '1.4': { major: 1, minor: 4 },
  '2.0': { major: 2, minor: 0 },
} as const satisfies Record<string, ProtocolVersion>;

export interface Harness {
  dir: string;
  engine: KeyEngine;
  objects: ManagedObjects;
  handler: KmipRequestHandler;
  /** As a tape library (a name), or as the identity given (a general client). */
  send(caller: string | CallerIdentity, version: ProtocolVersion, items: RequestBatchItem[], header?: Partial<RequestHeader>): ResponseMessage;
  close(): void;
}

export function harness(sets: Record<string, 'i500' | 'i2000'> = { LIB1: 'i500', LIB2: 'i500' }): Harness {
  const dir = tempDir('qkm-ops-');
  const engine = openEngine(dir, { requireBackup: false });
  for (const [library, cls] of Object.entries(sets)) engine.generate(library, cls);
  const objects = new ManagedObjects(engine);
  const handler = new KmipRequestHandler({ objects });
  return {
    dir, engine, objects, handler,
    send(caller, version, items, header = {}) {
      const bytes = encodeRequestMessage({ header: { protocolVersion: version, batchCount: items.length, ...header }, batchItems: items });
      const reply = handler.handleFrame(typeof caller === 'string' ? { library: caller } : caller, bytes);
      if (reply === null) throw new Error('the handler closed the connection');
      return decodeResponseMessage(reply);
    },
    close() {
      engine.store.close();
      removeDir(dir);
    },
  };
}

let nextId = 1;
export function item(operation: number, payload: TtlvItem[]): RequestBatchItem {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, nextId++);
  return { operation, uniqueBatchItemId: id, payload: structure(Tag.RequestPayload, payload) };
}

const uid = (id?: string): TtlvItem[] => (id === undefined ? [] : [textString(Tag.UniqueIdentifier, id)]);

/** Attributes for a Create/Register: 1.x inside Template-Attribute, 2.x as Attributes. */
function template(attrs: KmipAttribute[], version: ProtocolVersion): TtlvItem[] {
  const items = attributesForVersion(attrs, version);
  return version.major >= 2 ? items : [structure(Tag.TemplateAttribute, items)];
}

export const attr = {
  text: (name: string, value: string): KmipAttribute => ({ name, value: { type: 'TextString', value } }),
  int: (name: string, value: number): KmipAttribute => ({ name, value: { type: 'Integer', value } }),
  date: (name: string, seconds: bigint): KmipAttribute => ({ name, value: { type: 'DateTime', value: seconds } }),
  enum: (name: string, value: number): KmipAttribute => ({ name, value: { type: 'Enumeration', value } }),
  asi: (data: string, ns = 'LIBRARY-LTO'): KmipAttribute => ({
    name: 'Application Specific Information',
    value: { type: 'Structure', value: [textString(Tag.ApplicationNamespace, ns), textString(Tag.ApplicationData, data)] },
  }),
  altName: (value: string): KmipAttribute => ({
    name: 'Alternative Name',
    value: { type: 'Structure', value: [textString(Tag.AlternativeNameValue, value), enumeration(Tag.AlternativeNameType, 1)] },
  }),
  name: (value: string): KmipAttribute => ({
    name: 'Name',
    value: { type: 'Structure', value: [textString(Tag.NameValue, value), enumeration(Tag.NameType, 1)] },
  }),
};

export const op = {
  /** A Create with exactly these attributes (no AES-256 added). */
  createExactly: (v: ProtocolVersion, attrs: KmipAttribute[]) => item(Operation.Create, [enumeration(Tag.ObjectType, ObjectType.SymmetricKey), ...template(attrs, v)]),
  create: (v: ProtocolVersion, attrs: KmipAttribute[] = []) =>
    item(Operation.Create, [enumeration(Tag.ObjectType, ObjectType.SymmetricKey), ...template([attr.enum('Cryptographic Algorithm', 3), attr.int('Cryptographic Length', 256), ...attrs], v)]),
  register: (v: ProtocolVersion, material: Uint8Array, attrs: KmipAttribute[] = []) =>
    item(Operation.Register, [
      enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
      ...template(attrs, v),
      structure(Tag.SymmetricKey, [structure(Tag.KeyBlock, [
        enumeration(Tag.KeyFormatType, KeyFormatType.Raw),
        structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, material)]),
        enumeration(Tag.CryptographicAlgorithm, 3),
        integer(Tag.CryptographicLength, 256),
      ])]),
    ]),
  get: (id?: string) => item(Operation.Get, uid(id)),
  locate: (v: ProtocolVersion, attrs: KmipAttribute[], extra: TtlvItem[] = []) => item(Operation.Locate, [...extra, ...attributesForVersion(attrs, v)]),
  getAttributes: (v: ProtocolVersion, id?: string, names: string[] = []) =>
    item(Operation.GetAttributes, [...uid(id), ...names.map((n) => (v.major >= 2 ? nameToAttributeReference(n) : textString(Tag.AttributeName, n)))]),
  getAttributeList: (id?: string) => item(Operation.GetAttributeList, uid(id)),
  addAttribute: (v: ProtocolVersion, id: string | undefined, a: KmipAttribute) =>
    item(Operation.AddAttribute, [...uid(id), ...(v.major >= 2 ? [structure(Tag.NewAttribute, attributesForVersion([a], v)[0]!.value as TtlvItem[])] : attributesForVersion([a], v))]),
  modifyAttribute: (v: ProtocolVersion, id: string | undefined, a: KmipAttribute) =>
    item(Operation.ModifyAttribute, [...uid(id), ...(v.major >= 2 ? [structure(Tag.NewAttribute, attributesForVersion([a], v)[0]!.value as TtlvItem[])] : attributesForVersion([a], v))]),
  deleteAttribute1: (id: string, name: string, index?: number) =>
    item(Operation.DeleteAttribute, [...uid(id), textString(Tag.AttributeName, name), ...(index === undefined ? [] : [integer(Tag.AttributeIndex, index)])]),
  activate: (id?: string) => item(Operation.Activate, uid(id)),
  revoke: (id: string | undefined, reason: number) => item(Operation.Revoke, [...uid(id), structure(Tag.RevocationReason, [enumeration(Tag.RevocationReasonCode, reason)])]),
  destroy: (id?: string) => item(Operation.Destroy, uid(id)),
  check: (id: string | undefined, mask?: number) => item(Operation.Check, [...uid(id), ...(mask === undefined ? [] : [integer(Tag.CryptographicUsageMask, mask)])]),
  query: (...functions: number[]) => item(Operation.Query, functions.map((f) => enumeration(Tag.QueryFunction, f))),
  discover: (...versions: ProtocolVersion[]) =>
    item(Operation.DiscoverVersions, versions.map((v) => structure(Tag.ProtocolVersion, [integer(Tag.ProtocolVersionMajor, v.major), integer(Tag.ProtocolVersionMinor, v.minor)]))),
};

// ---- reading answers ---------------------------------------------------------

export function payloadOf(b: ResponseBatchItem): TtlvItem {
  return structure(Tag.ResponsePayload, b.payload ?? []);
}

export function uidOf(b: ResponseBatchItem): string {
  const found = findChild(payloadOf(b), Tag.UniqueIdentifier);
  if (found?.type !== 'TextString') throw new Error(`no Unique Identifier in ${JSON.stringify(b)}`);
  return found.value;
}

export function uidsOf(b: ResponseBatchItem): string[] {
  return findChildren(payloadOf(b), Tag.UniqueIdentifier).map((i) => i.value as string);
}

export function keyMaterialOf(b: ResponseBatchItem): Buffer {
  const key = findChild(payloadOf(b), Tag.SymmetricKey);
  const block = key && findChild(key, Tag.KeyBlock);
  const value = block && findChild(block, Tag.KeyValue);
  const material = value && findChild(value, Tag.KeyMaterial);
  if (material?.type !== 'ByteString') throw new Error('no Key Material');
  return Buffer.from(material.value);
}

/** Attributes of a Get Attributes answer as name -> values, whatever the version. */
export function attributesOf(b: ResponseBatchItem, v: ProtocolVersion): Map<string, TtlvValue[]> {
  const out = new Map<string, TtlvValue[]>();
  const add = (name: string, value: TtlvValue) => out.set(name, [...(out.get(name) ?? []), value]);
  const p = payloadOf(b);
  if (v.major >= 2) {
    const attrs = findChild(p, Tag.Attributes);
    for (const i of attrs?.type === 'Structure' ? attrs.value : []) {
      if (i.tag === Tag.Attribute && i.type === 'Structure') {
        const vendor = findChild(i, Tag.VendorIdentification)!.value as string;
        const name = findChild(i, Tag.AttributeName)!.value as string;
        const value = findChild(i, Tag.AttributeValue)!;
        add(`${vendor}-${name}`, { type: value.type, value: value.value } as TtlvValue);
      } else {
        add(`tag:${i.tag.toString(16)}`, { type: i.type, value: i.value } as TtlvValue);
      }
    }
    return out;
  }
  for (const a of findChildren(p, Tag.Attribute)) {
    const name = findChild(a, Tag.AttributeName)!.value as string;
    const value = findChild(a, Tag.AttributeValue)!;
    add(name, { type: value.type, value: value.value } as TtlvValue);
  }
  return out;
}

export { removeDir, tempDir };
