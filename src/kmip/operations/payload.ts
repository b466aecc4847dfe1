/** Reading request payload fields and writing response payload fields, the same way in every operation. */
import { isMultiValued, isKnownName, type NewAttribute, type ObjectAttribute } from '../../engine/index.js';
import { attributesForVersion, attributesInPayload, type KmipAttribute, type ProtocolVersion } from '../messages/index.js';
import { Tag, countChildren, findChild, tagName, textString, type ItemTypeName, type TtlvItem, type ValueByType } from '../ttlv/index.js';
import { OperationError } from './errors.js';

export function invalidField(message: string): OperationError {
  return new OperationError('INVALID_FIELD', `${message}.`);
}

/** A payload field that may be absent; present more than once, or of another type, is Invalid Field. */
export function field<T extends ItemTypeName>(parent: TtlvItem, tag: number, type: T): ValueByType[T] | undefined {
  const item = findChild(parent, tag);
  if (item === undefined) return undefined;
  const count = countChildren(parent, tag);
  if (count > 1) throw invalidField(`${tagName(tag)} appears ${count} times`);
  if (item.type !== type) throw invalidField(`${tagName(tag)} must be a ${type}, not a ${item.type}`);
  return item.value as ValueByType[T];
}

export function requiredField<T extends ItemTypeName>(parent: TtlvItem, tag: number, type: T): ValueByType[T] {
  const value = field(parent, tag, type);
  if (value === undefined) throw invalidField(`the request lacks its ${tagName(tag)}`);
  return value;
}

export function toNewAttribute(a: KmipAttribute): NewAttribute {
  return a.index === undefined ? { name: a.name, value: a.value } : { name: a.name, value: a.value, index: a.index };
}

/** The attributes a Create, Register or Locate payload carries, in either version's form. */
export function requestAttributes(payload: TtlvItem, version: ProtocolVersion): NewAttribute[] {
  return attributesInPayload(payload, version).map(toNewAttribute);
}

/**
 * Attributes as the answering version carries them. 1.x names an instance of a
 * multi-valued attribute by its index, so the index is sent for those (as PyKMIP's
 * server does for Name); a single-valued attribute goes without one.
 */
export function attributeItems(attrs: readonly ObjectAttribute[], version: ProtocolVersion): TtlvItem[] {
  return attributesForVersion(attrs.map(toKmipAttribute), version);
}

export function toKmipAttribute(a: ObjectAttribute): KmipAttribute {
  const multi = isKnownName(a.name) && isMultiValued(a.name);
  return multi ? { name: a.name, index: a.index, value: a.value } : { name: a.name, value: a.value };
}

export function uidItem(uid: string): TtlvItem {
  return textString(Tag.UniqueIdentifier, uid);
}
