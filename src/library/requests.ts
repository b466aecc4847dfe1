/**
 * What the library says to a key server, as KMIP batch items, and how it reads the
 * answers: the Tape Library Profile's Create (with the tape's key identifier and barcode)
 * followed by a Get of the new key, a Get by key name to read a tape, and qkm's vendor
 * extensions (docs/kmip-extensions.md).
 */
import type { LibraryClass } from '../engine/index.js';
import { attributesForVersion, type KmipAttribute, type RequestBatchItem, type ResponseBatchItem } from '../kmip/messages/index.js';
import { QkmOperation, QkmTag } from '../kmip/qkm-extensions.js';
import {
  ObjectType,
  Operation,
  ResultStatus,
  Tag,
  enumeration,
  findPath,
  structure,
  textString,
  type ItemTypeName,
  type TtlvItem,
  type ValueByType,
} from '../kmip/ttlv/index.js';
import { LIBRARY_KMIP_VERSION, describeServer } from './kmip-connection.js';
import type { ServerAddress } from './config.js';
import { LibraryError } from './errors.js';

const AES = 3;

function item(operation: number, payload: TtlvItem[]): RequestBatchItem {
  return { operation, payload: structure(Tag.RequestPayload, payload) };
}

/** Create for a tape being written: its key identifier in LIBRARY-LTO and its barcode. */
export function createForTape(barcode: string, keyIdentifier: string): RequestBatchItem {
  const attrs: KmipAttribute[] = [
    { name: 'Cryptographic Algorithm', value: { type: 'Enumeration', value: AES } },
    { name: 'Cryptographic Length', value: { type: 'Integer', value: 256 } },
    {
      name: 'Application Specific Information',
      value: { type: 'Structure', value: [textString(Tag.ApplicationNamespace, 'LIBRARY-LTO'), textString(Tag.ApplicationData, keyIdentifier)] },
    },
    {
      name: 'Alternative Name',
      value: { type: 'Structure', value: [textString(Tag.AlternativeNameValue, barcode), enumeration(Tag.AlternativeNameType, 1)] },
    },
  ];
  return item(Operation.Create, [
    enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
    structure(Tag.TemplateAttribute, attributesForVersion(attrs, LIBRARY_KMIP_VERSION)),
  ]);
}

/** Get by key name; without one, the key the item before produced (the ID Placeholder). */
export function getKey(name?: string): RequestBatchItem {
  return item(Operation.Get, name === undefined ? [] : [textString(Tag.UniqueIdentifier, name)]);
}

export const keyUsage = (): RequestBatchItem => item(QkmOperation.KeyUsage, []);
export const generateKeys = (cls: LibraryClass): RequestBatchItem => item(QkmOperation.GenerateLibraryKeys, [textString(QkmTag.LibraryClass, cls)]);
export const checkKeystore = (): RequestBatchItem => item(QkmOperation.CheckKeystore, []);
export const discoverVersions = (): RequestBatchItem => item(Operation.DiscoverVersions, []);

/** The server refused an item: its own words, with the server named. */
export class Refusal extends LibraryError {
  constructor(readonly server: ServerAddress, readonly resultReason: number | undefined, readonly serverMessage: string) {
    super('SERVER_REFUSED', `${describeServer(server)} refused: ${serverMessage}`, { params: { server: describeServer(server), reason: serverMessage } });
  }
}

/** The payload of a successful item; a failed one throws Refusal. */
export function payloadOf(server: ServerAddress, answer: ResponseBatchItem | undefined): TtlvItem {
  if (answer === undefined) throw new Refusal(server, undefined, 'it answered without the item asked for');
  if (answer.resultStatus !== ResultStatus.Success) {
    throw new Refusal(server, answer.resultReason, answer.resultMessage ?? `result status ${answer.resultStatus}`);
  }
  return structure(Tag.ResponsePayload, answer.payload ?? []);
}

function child<T extends ItemTypeName>(server: ServerAddress, payload: TtlvItem, tag: number, type: T): ValueByType[T] {
  const found = (payload.type === 'Structure' ? payload.value : []).find((c) => c.tag === tag);
  if (found?.type !== type) throw new Refusal(server, undefined, `its answer lacks a field the library needs (tag 0x${tag.toString(16)})`);
  return found.value as ValueByType[T];
}

export function readUid(server: ServerAddress, payload: TtlvItem): string {
  return child(server, payload, Tag.UniqueIdentifier, 'TextString');
}

/** The raw key of a Get answer. */
export function readKeyMaterial(server: ServerAddress, payload: TtlvItem): Buffer {
  const material = findPath(payload, Tag.SymmetricKey, Tag.KeyBlock, Tag.KeyValue, Tag.KeyMaterial);
  if (material?.type !== 'ByteString') throw new Refusal(server, undefined, 'its Get answer holds no raw key');
  return Buffer.from(material.value);
}

export interface KeyUsage { total: number; used: number }

export function readUsage(server: ServerAddress, payload: TtlvItem): KeyUsage {
  return { total: child(server, payload, QkmTag.KeysTotal, 'Integer'), used: child(server, payload, QkmTag.KeysUsed, 'Integer') };
}

export function readGenerated(server: ServerAddress, payload: TtlvItem): { generated: boolean; keys: number } {
  return { generated: child(server, payload, QkmTag.Generated, 'Boolean'), keys: child(server, payload, QkmTag.KeyCount, 'Integer') };
}

export interface ConfigTestResult { passed: boolean; keysChecked: number; problems: number; firstProblems: string[] }

export function readCheck(server: ServerAddress, payload: TtlvItem): ConfigTestResult {
  const problems = (payload.type === 'Structure' ? payload.value : []).flatMap((c) => (c.tag === QkmTag.Problem && c.type === 'TextString' ? [c.value] : []));
  return {
    passed: child(server, payload, QkmTag.CheckPassed, 'Boolean'),
    keysChecked: child(server, payload, QkmTag.KeysChecked, 'Integer'),
    problems: child(server, payload, QkmTag.ProblemCount, 'Integer'),
    firstProblems: problems,
  };
}

