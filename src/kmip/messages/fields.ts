/**
 * Reading typed fields out of a message structure. A missing, repeated or
 * wrongly typed field is an Invalid Message, reported with the version known so far.
 */
import { Tag, countChildren, findChild, tagName, type ItemTypeName, type TtlvItem, type ValueByType } from '../ttlv/index.js';
import { KmipMessageError } from './errors.js';
import { ResultReason } from '../ttlv/enums.js';
import type { ProtocolVersion } from './version.js';

type ValueOfType<T extends ItemTypeName> = ValueByType[T];

export interface FieldContext {
  protocolVersion?: ProtocolVersion;
  operation?: number;
  uniqueBatchItemId?: Uint8Array;
}

export function invalidMessage(message: string, ctx: FieldContext = {}, cause?: unknown): KmipMessageError {
  return new KmipMessageError('KMIP_INVALID_MESSAGE', message, {
    resultReason: ResultReason.InvalidMessage,
    ...ctx,
    cause,
  });
}

export function optionalField<T extends ItemTypeName>(
  parent: TtlvItem,
  tag: number,
  type: T,
  ctx: FieldContext = {},
): ValueOfType<T> | undefined {
  const item = findChild(parent, tag);
  if (item === undefined) return undefined;
  const count = countChildren(parent, tag);
  if (count > 1) throw invalidMessage(`${tagName(tag)} appears ${count} times`, ctx);
  if (item.type !== type) {
    throw invalidMessage(`${tagName(tag)} must be a ${type}, not a ${item.type}`, ctx);
  }
  return item.value as ValueOfType<T>;
}

export function requiredField<T extends ItemTypeName>(
  parent: TtlvItem,
  tag: number,
  type: T,
  ctx: FieldContext = {},
): ValueOfType<T> {
  const value = optionalField(parent, tag, type, ctx);
  if (value === undefined) throw invalidMessage(`${tagName(parent.tag)} lacks its ${tagName(tag)}`, ctx);
  return value;
}

/** Date-Time fields as JS Dates; a value outside what a Date can hold is refused. */
export function optionalDate(parent: TtlvItem, tag: number, ctx: FieldContext = {}): Date | undefined {
  const seconds = optionalField(parent, tag, 'DateTime', ctx);
  if (seconds === undefined) return undefined;
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) throw invalidMessage(`${tagName(tag)} is out of range`, ctx);
  return date;
}

export function readProtocolVersion(item: TtlvItem, ctx: FieldContext = {}): ProtocolVersion {
  const major = requiredField(item, Tag.ProtocolVersionMajor, 'Integer', ctx);
  const minor = requiredField(item, Tag.ProtocolVersionMinor, 'Integer', ctx);
  if (major < 0 || minor < 0) throw invalidMessage(`protocol version ${major}.${minor} is negative`, ctx);
  return { major, minor };
}
