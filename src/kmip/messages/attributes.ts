/**
 * Attributes in both shapes the protocol has used, converted to one that the
 * server stores: `{ name, index?, value }`, where `value` is the typed TTLV value.
 *
 *   1.x  Attribute { Attribute Name "Cryptographic Length", [Attribute Index 0], Attribute Value (Integer 256) }
 *   2.x  Cryptographic Length (Integer 256)                   -- a tagged item inside Attributes
 *   1.x  Attribute { Attribute Name "x-barcode", Attribute Value (Text String "A00001L8") }
 *   2.x  Attribute { Vendor Identification "x", Attribute Name "barcode", Attribute Value (Text String ...) }
 *
 * Custom attributes keep whatever type they came with (Integer, Date-Time, ...),
 * so a value stored from one version is answered unchanged in the other.
 */
import {
  ResultReason,
  Tag,
  findChildren,
  integer,
  structure,
  textString,
  enumeration,
  tagName,
  untaggedValue,
  withTag,
  type TtlvItem,
  type TtlvStructure,
  type TtlvValue,
} from '../ttlv/index.js';
import { KmipMessageError } from './errors.js';
import { optionalField, requiredField, type FieldContext } from './fields.js';
import { attributeNameForTagV2, attributeTagV2, splitVendorName } from './attribute-names.js';
import { usesAttributesStructure, type ProtocolVersion } from './version.js';
import { quoteClientValue } from '../../util/bounded-text.js';

export interface KmipAttribute {
  /** The 1.x Attribute Name: a standard name ("State") or a vendor one ("x-barcode"). */
  name: string;
  /** 1.x Attribute Index; 2.x has none and tells instances apart by value. */
  index?: number;
  value: TtlvValue;
}

function invalidAttribute(message: string, ctx: FieldContext): KmipMessageError {
  return new KmipMessageError('KMIP_INVALID_ATTRIBUTE', message, {
    resultReason: ResultReason.InvalidField,
    ...ctx,
  });
}

// ---- KMIP 1.x ---------------------------------------------------------------

/** Reads one 1.x Attribute structure. */
export function attributeFromV1(item: TtlvItem, ctx: FieldContext = {}): KmipAttribute {
  if (item.tag !== Tag.Attribute || item.type !== 'Structure') {
    throw invalidAttribute(`expected an Attribute structure, got ${tagName(item.tag)} ${item.type}`, ctx);
  }
  const name = requiredField(item, Tag.AttributeName, 'TextString', ctx);
  const values = findChildren(item, Tag.AttributeValue);
  if (values.length !== 1) throw invalidAttribute(`attribute "${name}" needs exactly one Attribute Value`, ctx);
  const attribute: KmipAttribute = { name, value: untaggedValue(values[0]!) };
  const index = optionalField(item, Tag.AttributeIndex, 'Integer', ctx);
  if (index !== undefined) {
    if (index < 0) throw invalidAttribute(`attribute "${name}" has a negative index`, ctx);
    attribute.index = index;
  }
  return attribute;
}

/** Writes one 1.x Attribute structure (Attribute Index only when the attribute has one). */
export function attributeToV1(attr: KmipAttribute): TtlvItem {
  const fields: TtlvItem[] = [textString(Tag.AttributeName, attr.name)];
  if (attr.index !== undefined) fields.push(integer(Tag.AttributeIndex, attr.index));
  fields.push(withTag(Tag.AttributeValue, attr.value));
  return structure(Tag.Attribute, fields);
}

// ---- KMIP 2.x ---------------------------------------------------------------

/** Reads one item from inside a 2.x Attributes structure: a tagged attribute or a Vendor Attribute. */
export function attributeFromV2(item: TtlvItem, ctx: FieldContext = {}): KmipAttribute {
  if (item.tag === Tag.Attribute) {
    if (item.type !== 'Structure') throw invalidAttribute('a Vendor Attribute must be a structure', ctx);
    const vendor = requiredField(item, Tag.VendorIdentification, 'TextString', ctx);
    if (!/^[A-Za-z0-9_.]+$/.test(vendor)) {
      throw invalidAttribute(`Vendor Identification "${vendor}" may use only letters, digits, '_' and '.'`, ctx);
    }
    const name = requiredField(item, Tag.AttributeName, 'TextString', ctx);
    const values = findChildren(item, Tag.AttributeValue);
    if (values.length !== 1) throw invalidAttribute(`vendor attribute "${name}" needs exactly one Attribute Value`, ctx);
    return { name: `${vendor}-${name}`, value: untaggedValue(values[0]!) };
  }
  const name = attributeNameForTagV2(item.tag);
  if (name === undefined) {
    throw new KmipMessageError('KMIP_UNSUPPORTED_ATTRIBUTE', `${tagName(item.tag)} is not an attribute`, {
      resultReason: ResultReason.UnsupportedAttribute,
      ...ctx,
    });
  }
  return { name, value: untaggedValue(item) };
}

/** Writes one attribute as a 2.x item; the index is dropped, 2.x has no place for it. */
export function attributeToV2(attr: KmipAttribute, ctx: FieldContext = {}): TtlvItem {
  const tag = attributeTagV2(attr.name);
  if (tag !== undefined) return withTag(tag, attr.value);
  const vendor = splitVendorName(attr.name);
  if (vendor === undefined) {
    throw new KmipMessageError('KMIP_UNSUPPORTED_ATTRIBUTE', `attribute ${quoteClientValue(attr.name)} has no KMIP 2.x encoding`, {
      resultReason: ResultReason.UnsupportedAttribute,
      ...ctx,
    });
  }
  return structure(Tag.Attribute, [
    textString(Tag.VendorIdentification, vendor.vendor),
    textString(Tag.AttributeName, vendor.attributeName),
    withTag(Tag.AttributeValue, attr.value),
  ]);
}

export function attributesFromV2(container: TtlvItem, ctx: FieldContext = {}): KmipAttribute[] {
  if (container.type !== 'Structure') throw invalidAttribute(`${tagName(container.tag)} must be a structure`, ctx);
  return container.value.map((item) => attributeFromV2(item, ctx));
}

export function attributesToV2(attrs: readonly KmipAttribute[], tag: number = Tag.Attributes, ctx: FieldContext = {}): TtlvStructure {
  return structure(tag, attrs.map((a) => attributeToV2(a, ctx)));
}

// ---- 2.x Attribute Reference (Get Attributes, Delete Attribute, ...) --------

/** The attribute name an Attribute Reference (an Enumeration of the tag, or vendor + name) points at. */
export function attributeReferenceToName(ref: TtlvItem, ctx: FieldContext = {}): string {
  if (ref.type === 'Enumeration') {
    const name = attributeNameForTagV2(ref.value);
    if (name === undefined) {
      throw new KmipMessageError('KMIP_UNSUPPORTED_ATTRIBUTE', `${tagName(ref.value)} is not an attribute`, {
        resultReason: ResultReason.UnsupportedAttribute,
        ...ctx,
      });
    }
    return name;
  }
  if (ref.type === 'Structure') {
    const vendor = requiredField(ref, Tag.VendorIdentification, 'TextString', ctx);
    const name = requiredField(ref, Tag.AttributeName, 'TextString', ctx);
    return `${vendor}-${name}`;
  }
  throw invalidAttribute(`an Attribute Reference must be an Enumeration or a Structure, not ${ref.type}`, ctx);
}

export function nameToAttributeReference(name: string, ctx: FieldContext = {}): TtlvItem {
  const tag = attributeTagV2(name);
  if (tag !== undefined) return enumeration(Tag.AttributeReference, tag);
  const vendor = splitVendorName(name);
  if (vendor === undefined) {
    throw new KmipMessageError('KMIP_UNSUPPORTED_ATTRIBUTE', `attribute ${quoteClientValue(name)} has no KMIP 2.x reference`, {
      resultReason: ResultReason.UnsupportedAttribute,
      ...ctx,
    });
  }
  return structure(Tag.AttributeReference, [
    textString(Tag.VendorIdentification, vendor.vendor),
    textString(Tag.AttributeName, vendor.attributeName),
  ]);
}

// ---- Either version ---------------------------------------------------------

/**
 * The attributes a request payload supplies for a new or sought object, in the
 * shape its version uses: 1.x Attribute items directly in the payload (Locate) and
 * inside Template-Attribute (Create, Register); 2.x the Attributes structure.
 */
export function attributesInPayload(payload: TtlvItem, version: ProtocolVersion, ctx: FieldContext = {}): KmipAttribute[] {
  const where = { ...ctx, protocolVersion: version };
  if (usesAttributesStructure(version)) {
    return findChildren(payload, Tag.Attributes).flatMap((a) => attributesFromV2(a, where));
  }
  const direct = findChildren(payload, Tag.Attribute);
  const templated = findChildren(payload, Tag.TemplateAttribute).flatMap((t) => findChildren(t, Tag.Attribute));
  return [...direct, ...templated].map((a) => attributeFromV1(a, where));
}

/** Attributes as a response in this version carries them: 1.x Attribute items, or one 2.x Attributes structure. */
export function attributesForVersion(attrs: readonly KmipAttribute[], version: ProtocolVersion, ctx: FieldContext = {}): TtlvItem[] {
  return usesAttributesStructure(version)
    ? [attributesToV2(attrs, Tag.Attributes, { ...ctx, protocolVersion: version })]
    : attrs.map(attributeToV1);
}
