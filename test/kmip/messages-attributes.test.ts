import { describe, expect, it } from 'vitest';
import {
  KmipMessageError,
  attributeFromV1,
  attributeFromV2,
  attributeReferenceToName,
  attributeToV1,
  attributeToV2,
  attributesForVersion,
  attributesFromV2,
  attributesInPayload,
  attributesToV2,
  isCustomAttributeName,
  nameToAttributeReference,
  splitVendorName,
  type KmipAttribute,
} from '../../src/kmip/messages/index.js';
import {
  AlternativeNameType,
  CryptographicAlgorithm,
  NameType,
  ObjectType,
  State,
  Tag,
  bigInteger,
  boolean,
  byteString,
  dateTime,
  decodeTtlv,
  encodeTtlv,
  enumeration,
  integer,
  interval,
  longInteger,
  structure,
  textString,
  untaggedValue,
  type TtlvItem,
} from '../../src/kmip/ttlv/index.js';
import { toHex } from './ttlv-golden-vectors.js';

const V1 = { major: 1, minor: 4 };
const V2 = { major: 2, minor: 0 };

const alternativeName: KmipAttribute = {
  name: 'Alternative Name',
  value: {
    type: 'Structure',
    value: [
      textString(Tag.AlternativeNameValue, 'A00001L8'),
      enumeration(Tag.AlternativeNameType, AlternativeNameType.UninterpretedTextString),
    ],
  },
};
const applicationInfo: KmipAttribute = {
  name: 'Application Specific Information',
  value: {
    type: 'Structure',
    value: [textString(Tag.ApplicationNamespace, 'LIBRARY-LTO'), textString(Tag.ApplicationData, '0123456789ABCDEF')],
  },
};

// Custom attributes in every primitive type: each must come back with its own type.
const customs: KmipAttribute[] = [
  { name: 'x-barcode', value: untaggedValue(textString(0, 'A00001L8')) },
  { name: 'x-slot', value: untaggedValue(integer(0, 17)) },
  { name: 'x-written', value: untaggedValue(dateTime(0, new Date('2026-03-01T10:00:00Z'))) },
  { name: 'x-bytes', value: untaggedValue(longInteger(0, 1n << 40n)) },
  { name: 'x-modulus', value: untaggedValue(bigInteger(0, -(1n << 70n))) },
  { name: 'x-mode', value: untaggedValue(enumeration(0, 3)) },
  { name: 'x-worm', value: untaggedValue(boolean(0, true)) },
  { name: 'x-cookie', value: untaggedValue(byteString(0, new Uint8Array([0xde, 0xad]))) },
  { name: 'x-retention', value: untaggedValue(interval(0, 86400)) },
  { name: 'y-server-note', value: untaggedValue(textString(0, 'kept by the server')) },
];

const standard: KmipAttribute[] = [
  { name: 'Cryptographic Algorithm', value: untaggedValue(enumeration(0, CryptographicAlgorithm.AES)) },
  { name: 'Cryptographic Length', value: untaggedValue(integer(0, 256)) },
  { name: 'Object Type', value: untaggedValue(enumeration(0, ObjectType.SymmetricKey)) },
  { name: 'State', value: untaggedValue(enumeration(0, State.PreActive)) },
  { name: 'Unique Identifier', value: untaggedValue(textString(0, '42')) },
  { name: 'Initial Date', value: untaggedValue(dateTime(0, 1_700_000_000n)) },
  { name: 'Last Change Date', value: untaggedValue(dateTime(0, 1_700_000_100n)) },
  { name: 'Object Group', value: untaggedValue(textString(0, 'lib-A')) },
  {
    name: 'Name',
    value: { type: 'Structure', value: [textString(Tag.NameValue, 'K-0001'), enumeration(Tag.NameType, NameType.UninterpretedTextString)] },
  },
  alternativeName,
  applicationInfo,
];

/** Through the wire and back, so the test also proves the items encode. */
function viaWire(item: TtlvItem): TtlvItem {
  return decodeTtlv(encodeTtlv(item));
}

describe('one attribute model for KMIP 1.x and 2.x', () => {
  it('standard attributes: 1.x by name, 2.x by tag, same stored value', () => {
    for (const attr of standard) {
      const v1 = viaWire(attributeToV1(attr));
      expect(v1.tag).toBe(Tag.Attribute);
      expect(attributeFromV1(v1)).toEqual(attr);
      const v2 = viaWire(attributeToV2(attr));
      expect(attributeFromV2(v2)).toEqual(attr);
    }
    expect(attributeToV2(standard[0]!)).toEqual(enumeration(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES));
    expect(attributeToV2(alternativeName).tag).toBe(Tag.AlternativeName);
    expect(attributeToV2(applicationInfo).tag).toBe(Tag.ApplicationSpecificInformation);
  });

  it('custom attributes keep their type: 1.x "x-" names, 2.x Vendor Attributes with Vendor Identification x', () => {
    for (const attr of customs) {
      expect(attributeFromV1(viaWire(attributeToV1(attr)))).toEqual(attr);
      expect(attributeFromV2(viaWire(attributeToV2(attr)))).toEqual(attr);
    }
    expect(attributeToV2(customs[1]!)).toEqual(
      structure(Tag.Attribute, [
        textString(Tag.VendorIdentification, 'x'),
        textString(Tag.AttributeName, 'slot'),
        integer(Tag.AttributeValue, 17),
      ]),
    );
    expect(attributeToV1(customs[1]!)).toEqual(
      structure(Tag.Attribute, [textString(Tag.AttributeName, 'x-slot'), integer(Tag.AttributeValue, 17)]),
    );
  });

  it('a value stored from a 1.x Create is answered byte-identical to a 1.x client and correctly to a 2.x one', () => {
    const v1Payload = structure(Tag.RequestPayload, [
      enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
      structure(Tag.TemplateAttribute, [...standard, ...customs].map(attributeToV1)),
    ]);
    const stored = attributesInPayload(viaWire(v1Payload), V1);
    expect(stored).toEqual([...standard, ...customs]);

    const again1 = attributesForVersion(stored, V1);
    expect(toHex(encodeTtlv(structure(Tag.TemplateAttribute, again1)))).toBe(toHex(encodeTtlv(v1Payload.value[1]!)));

    const [v2] = attributesForVersion(stored, V2);
    expect(v2!.tag).toBe(Tag.Attributes);
    const v2Payload = structure(Tag.RequestPayload, [enumeration(Tag.ObjectType, ObjectType.SymmetricKey), v2!]);
    expect(attributesInPayload(viaWire(v2Payload), V2)).toEqual([...standard, ...customs]);
  });

  it('keeps 1.x Attribute Index, and drops it in 2.x where it has no place', () => {
    const indexed: KmipAttribute = { ...customs[0]!, index: 2 };
    expect(attributeFromV1(viaWire(attributeToV1(indexed)))).toEqual(indexed);
    expect(attributeFromV2(attributeToV2(indexed))).toEqual(customs[0]);
  });

  it('multi-instance attributes stay separate items in a 2.x Attributes structure', () => {
    const names: KmipAttribute[] = ['one', 'two'].map((n) => ({
      name: 'Name',
      value: { type: 'Structure', value: [textString(Tag.NameValue, n), enumeration(Tag.NameType, 1)] },
    }));
    const s = attributesToV2(names);
    expect(s.value.map((i) => i.tag)).toEqual([Tag.Name, Tag.Name]);
    expect(attributesFromV2(viaWire(s))).toEqual(names);
  });

  it('attribute references in 2.x: by tag for standard, by vendor and name for custom', () => {
    expect(nameToAttributeReference('State')).toEqual(enumeration(Tag.AttributeReference, Tag.State));
    expect(nameToAttributeReference('x-barcode')).toEqual(
      structure(Tag.AttributeReference, [textString(Tag.VendorIdentification, 'x'), textString(Tag.AttributeName, 'barcode')]),
    );
    for (const name of ['State', 'Alternative Name', 'x-barcode', 'y-server-note', 'acme.corp-flag']) {
      expect(attributeReferenceToName(viaWire(nameToAttributeReference(name)))).toBe(name);
    }
  });

  it('vendor names split at the first dash only', () => {
    expect(splitVendorName('x-a-b')).toEqual({ vendor: 'x', attributeName: 'a-b' });
    expect(splitVendorName('State')).toBeUndefined();
    expect(splitVendorName('no dash')).toBeUndefined();
    expect(isCustomAttributeName('x-a')).toBe(true);
    expect(isCustomAttributeName('Name')).toBe(false);
  });
});

describe('attributes that cannot be converted', () => {
  const codeOf = (f: () => unknown): [string, number] => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(KmipMessageError);
      return [(e as KmipMessageError).code, (e as KmipMessageError).resultReason];
    }
    return ['none', 0];
  };

  it('1.x-only attributes and unprefixed unknown names have no 2.x form', () => {
    const policy: KmipAttribute = { name: 'Operation Policy Name', value: untaggedValue(textString(0, 'default')) };
    expect(attributeFromV1(attributeToV1(policy))).toEqual(policy);
    expect(codeOf(() => attributeToV2(policy))).toEqual(['KMIP_UNSUPPORTED_ATTRIBUTE', 0x1f]);
    expect(codeOf(() => attributeToV2({ name: 'Shoe Size', value: untaggedValue(integer(0, 9)) }))).toEqual(['KMIP_UNSUPPORTED_ATTRIBUTE', 0x1f]);
    expect(codeOf(() => nameToAttributeReference('Shoe Size'))).toEqual(['KMIP_UNSUPPORTED_ATTRIBUTE', 0x1f]);
  });

  it('a 2.x tag that is no attribute, or a malformed Vendor Attribute', () => {
    expect(codeOf(() => attributeFromV2(integer(Tag.BatchCount, 1)))).toEqual(['KMIP_UNSUPPORTED_ATTRIBUTE', 0x1f]);
    expect(codeOf(() => attributeReferenceToName(enumeration(Tag.AttributeReference, Tag.BatchCount)))).toEqual([
      'KMIP_UNSUPPORTED_ATTRIBUTE',
      0x1f,
    ]);
    const vendor = (id: string, extra: TtlvItem[] = [integer(Tag.AttributeValue, 1)]) =>
      structure(Tag.Attribute, [textString(Tag.VendorIdentification, id), textString(Tag.AttributeName, 'n'), ...extra]);
    expect(codeOf(() => attributeFromV2(vendor('x-y')))).toEqual(['KMIP_INVALID_ATTRIBUTE', 0x07]);
    expect(codeOf(() => attributeFromV2(vendor('x', [])))).toEqual(['KMIP_INVALID_ATTRIBUTE', 0x07]);
    expect(codeOf(() => attributeFromV2(textString(Tag.Attribute, 'x')))).toEqual(['KMIP_INVALID_ATTRIBUTE', 0x07]);
    expect(codeOf(() => attributeReferenceToName(textString(Tag.AttributeReference, 'State')))).toEqual(['KMIP_INVALID_ATTRIBUTE', 0x07]);
  });

  it('a malformed 1.x Attribute', () => {
    expect(codeOf(() => attributeFromV1(structure(Tag.Attribute, [integer(Tag.AttributeValue, 1)])))).toEqual([
      'KMIP_INVALID_MESSAGE',
      0x04,
    ]);
    expect(codeOf(() => attributeFromV1(structure(Tag.Attribute, [textString(Tag.AttributeName, 'x-a')])))).toEqual([
      'KMIP_INVALID_ATTRIBUTE',
      0x07,
    ]);
    const negative = structure(Tag.Attribute, [
      textString(Tag.AttributeName, 'x-a'),
      integer(Tag.AttributeIndex, -1),
      integer(Tag.AttributeValue, 1),
    ]);
    expect(codeOf(() => attributeFromV1(negative))).toEqual(['KMIP_INVALID_ATTRIBUTE', 0x07]);
    expect(codeOf(() => attributeFromV1(integer(Tag.Attribute, 1)))).toEqual(['KMIP_INVALID_ATTRIBUTE', 0x07]);
  });
});
