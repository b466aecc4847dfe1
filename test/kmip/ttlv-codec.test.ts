import { describe, expect, it } from 'vitest';
import {
  Tag,
  bigInteger,
  boolean,
  byteString,
  dateTime,
  dateTimeExtended,
  decodeTtlv,
  encodeTtlv,
  enumeration,
  findChild,
  findChildren,
  findPath,
  findTyped,
  formatTtlv,
  integer,
  interval,
  longInteger,
  messageLength,
  structure,
  tagBySpecName,
  tagName,
  textString,
  Operation,
  enumName,
  type TtlvItem,
} from '../../src/kmip/ttlv/index.js';
import { fromHex, toHex } from './ttlv-golden-vectors.js';

// The encoding examples of KMIP 1.x §9.1.2, all under tag 420020.
const T = 0x420020;
const specExamples: [string, TtlvItem, string][] = [
  ['Integer 8', integer(T, 8), '420020 02 00000004 0000000800000000'],
  ['Long Integer 123456789000000000', longInteger(T, 123456789000000000n), '420020 03 00000008 01B69B4BA5749200'],
  [
    'Big Integer 1234567890000000000000000000',
    bigInteger(T, 1234567890000000000000000000n),
    '420020 04 00000010 0000000003FD35EB 6BC2DF4618080000',
  ],
  ['Enumeration 255', enumeration(T, 255), '420020 05 00000004 000000FF00000000'],
  ['Boolean true', boolean(T, true), '420020 06 00000008 0000000000000001'],
  ['Text String "Hello World"', textString(T, 'Hello World'), '420020 07 0000000B 48656C6C6F20576F726C640000000000'],
  ['Byte String 010203', byteString(T, new Uint8Array([1, 2, 3])), '420020 08 00000003 0102030000000000'],
  [
    'Date-Time 2008-03-14T11:56:40Z',
    dateTime(T, new Date('2008-03-14T11:56:40Z')),
    '420020 09 00000008 0000000047DA67F8',
  ],
  ['Interval of 10 days', interval(T, 10 * 24 * 3600), '420020 0A 00000004 000D2F0000000000'],
  [
    'Structure of Enumeration 254 and Integer 255',
    structure(T, [enumeration(0x420004, 254), integer(0x420005, 255)]),
    '420020 01 00000020 420004 05 00000004 000000FE00000000 420005 02 00000004 000000FF00000000',
  ],
];

describe('TTLV encoding, as the specification examples show it', () => {
  for (const [what, item, hex] of specExamples) {
    it(`encodes ${what}`, () => {
      expect(toHex(encodeTtlv(item))).toBe(toHex(fromHex(hex)));
    });
    it(`decodes ${what}`, () => {
      expect(decodeTtlv(fromHex(hex))).toEqual(item);
    });
  }
});

describe('TTLV values at their edges round-trip', () => {
  const cases: TtlvItem[] = [
    integer(T, -1),
    integer(T, -(2 ** 31)),
    integer(T, 2 ** 31 - 1),
    enumeration(T, 0x80000001),
    enumeration(T, 0xffffffff),
    interval(T, 0xffffffff),
    longInteger(T, -(1n << 63n)),
    longInteger(T, (1n << 63n) - 1n),
    bigInteger(T, 0n),
    bigInteger(T, -1n),
    bigInteger(T, 127n),
    bigInteger(T, 128n),
    bigInteger(T, -(1n << 63n)),
    bigInteger(T, 1n << 63n),
    bigInteger(T, -(1n << 200n) + 12345n),
    boolean(T, false),
    textString(T, ''),
    textString(T, 'exactly8'),
    textString(T, 'Bänd-Ω-磁帯-🦆'),
    textString(T, '\uFEFFkeeps its byte-order mark'),
    byteString(T, new Uint8Array(0)),
    byteString(T, new Uint8Array(33).fill(0xa5)),
    dateTime(T, -5n),
    dateTimeExtended(T, 1_700_000_000_123_456n),
    structure(T, []),
  ];
  for (const item of cases) {
    it(`${item.type} ${String(item.value)}`, () => {
      const bytes = encodeTtlv(item);
      expect(bytes.length % 8).toBe(0);
      expect(decodeTtlv(bytes)).toEqual(item);
    });
  }

  it('pads Big Integers with sign bytes to whole 8-byte words', () => {
    expect(toHex(encodeTtlv(bigInteger(T, -1n)))).toBe(['42002004', '00000008', 'ff'.repeat(8)].join(''));
    expect(toHex(encodeTtlv(bigInteger(T, 128n)))).toBe('42002004' + '00000008' + '0000000000000080');
    expect(encodeTtlv(bigInteger(T, 1n << 63n)).length).toBe(8 + 16);
  });

  it('counts UTF-8 bytes, not characters, in a Text String length', () => {
    const bytes = encodeTtlv(textString(T, 'Ω'));
    expect(toHex(bytes.subarray(4, 8))).toBe('00000002');
  });
});

describe('the value model', () => {
  it('keeps unknown tags, in place, through decode and encode', () => {
    const vendorTag = 0x540001; // the extension range
    const unassigned = 0x42ffff;
    const bytes = encodeTtlv(
      structure(Tag.RequestPayload, [
        textString(Tag.UniqueIdentifier, '7'),
        structure(vendorTag, [integer(unassigned, 3), textString(0x540002, 'x')]),
        enumeration(0x000001, 9),
      ]),
    );
    const decoded = decodeTtlv(bytes);
    expect(findPath(decoded, vendorTag, unassigned)).toEqual(integer(unassigned, 3));
    expect(findChild(decoded, 0x000001)).toEqual(enumeration(0x000001, 9));
    expect(toHex(encodeTtlv(decoded))).toBe(toHex(bytes));
  });

  it('finds children by tag, all of them in order, or by type', () => {
    const s = structure(Tag.ResponsePayload, [
      enumeration(Tag.Operation, Operation.Create),
      textString(Tag.UniqueIdentifier, 'a'),
      enumeration(Tag.Operation, Operation.Get),
    ]);
    expect(findChild(s, Tag.Operation)?.value).toBe(Operation.Create);
    expect(findChildren(s, Tag.Operation).map((i) => i.value)).toEqual([Operation.Create, Operation.Get]);
    expect(findTyped(s, Tag.UniqueIdentifier, 'TextString')?.value).toBe('a');
    expect(findTyped(s, Tag.UniqueIdentifier, 'Enumeration')).toBeUndefined();
    expect(findChild(textString(T, 'leaf'), Tag.Operation)).toBeUndefined();
    expect(findChildren(textString(T, 'leaf'), Tag.Operation)).toEqual([]);
    expect(findPath(s, Tag.Attribute, Tag.AttributeName)).toBeUndefined();
  });

  it('names tags and enumerations as the specification does', () => {
    expect(Tag.UniqueIdentifier).toBe(0x420094);
    expect(Tag.AlternativeName).toBe(0x4200bf);
    expect(Tag.Attributes).toBe(0x420125);
    expect(Tag.AttributeReference).toBe(0x42013b);
    expect(Tag.TemplateAttribute).toBe(0x420091);
    expect(tagName(0x420004)).toBe('Application Specific Information');
    expect(tagName(0x42ffff)).toBe('0x42FFFF');
    expect(tagBySpecName('Cryptographic Usage Mask')).toBe(0x42002c);
    expect(enumName(Operation, 0x1e)).toBe('DiscoverVersions');
    expect(formatTtlv(structure(Tag.Name, [textString(Tag.NameValue, 'K1')]))).toBe(
      'Name Structure\n  Name Value TextString "K1"',
    );
  });

  it('keeps a decoded Byte String independent of the buffer it came from', () => {
    const bytes = encodeTtlv(byteString(Tag.KeyMaterial, new Uint8Array([9, 9, 9])));
    const decoded = decodeTtlv(Buffer.from(bytes));
    bytes.fill(0);
    expect(decoded.value).toEqual(new Uint8Array([9, 9, 9]));
  });
});

describe('messageLength, for framing a stream', () => {
  it('gives the whole length from the first 8 bytes', () => {
    const bytes = encodeTtlv(structure(Tag.RequestMessage, [integer(Tag.BatchCount, 1)]));
    expect(messageLength(bytes.subarray(0, 8))).toBe(bytes.length);
    expect(messageLength(bytes)).toBe(24);
  });
});
