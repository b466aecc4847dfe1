import { describe, expect, it } from 'vitest';
import {
  Tag,
  TtlvError,
  decodeTtlv,
  encodeTtlv,
  integer,
  messageLength,
  structure,
  textString,
  type TtlvErrorCode,
  type TtlvItem,
  type TtlvLimits,
} from '../../src/kmip/ttlv/index.js';
import { fromHex } from './ttlv-golden-vectors.js';

/** Raw header + value bytes, so tests can say things an encoder would refuse to. */
function raw(tag: number, type: number, length: number, valueHex = ''): string {
  const header = Buffer.alloc(8);
  header.writeUIntBE(tag, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt32BE(length, 4);
  return header.toString('hex') + valueHex;
}

function struct(...children: string[]): string {
  const body = children.join('');
  return raw(0x420078, 0x01, body.length / 2, body);
}

function decodeError(hexOrBytes: string | Uint8Array, limits?: Partial<TtlvLimits>): TtlvError {
  const bytes = typeof hexOrBytes === 'string' ? fromHex(hexOrBytes) : hexOrBytes;
  try {
    decodeTtlv(bytes, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(TtlvError);
    return e as TtlvError;
  }
  throw new Error('decode unexpectedly succeeded');
}

function expectCode(hex: string | Uint8Array, code: TtlvErrorCode, limits?: Partial<TtlvLimits>): void {
  expect(decodeError(hex, limits).code).toBe(code);
}

const INT = 0x42000d;

describe('decode refuses malformed TTLV with a specific code', () => {
  it('TTLV_TRUNCATED: fewer than 8 bytes, or fewer than the header promises', () => {
    expectCode('', 'TTLV_TRUNCATED');
    expectCode('42007801000000', 'TTLV_TRUNCATED');
    expectCode(struct(raw(INT, 0x02, 4, '0000000100000000')).slice(0, -2), 'TTLV_TRUNCATED');
    // An unpadded top-level text string is also short of bytes.
    expectCode(raw(0x420094, 0x07, 2, '3133'), 'TTLV_TRUNCATED');
  });

  it('TTLV_LENGTH_OVERRUN: a child claims more than its parent has left', () => {
    const child = raw(INT, 0x07, 64, '41'.repeat(8));
    expectCode(struct(child), 'TTLV_LENGTH_OVERRUN');
    // The child is wholly in the buffer, but its parent declares a length too short for it.
    const child16 = raw(INT, 0x02, 4, '0000000100000000');
    const tooShortParent = raw(0x420079, 0x01, 8, child16);
    expectCode(struct(tooShortParent, '00'.repeat(8)), 'TTLV_LENGTH_OVERRUN');
  });

  it('TTLV_LENGTH_OVERRUN: a claimed 4 GiB value inside a small message, without allocating it', () => {
    expectCode(struct(raw(0x420043, 0x08, 0xfffffff8, '00'.repeat(8))), 'TTLV_LENGTH_OVERRUN');
  });

  it('TTLV_BAD_LENGTH: fixed-length types with the wrong length', () => {
    expectCode(struct(raw(INT, 0x02, 8, '0000000000000001')), 'TTLV_BAD_LENGTH'); // Integer not 4
    expectCode(struct(raw(INT, 0x05, 3, '0000010000000000')), 'TTLV_BAD_LENGTH'); // Enumeration not 4
    expectCode(struct(raw(INT, 0x0a, 8, '0000000000000001')), 'TTLV_BAD_LENGTH'); // Interval not 4
    expectCode(struct(raw(INT, 0x03, 4, '0000000100000000')), 'TTLV_BAD_LENGTH'); // Long Integer not 8
    expectCode(struct(raw(INT, 0x09, 4, '0000000100000000')), 'TTLV_BAD_LENGTH'); // Date-Time not 8
    expectCode(struct(raw(INT, 0x0b, 4, '0000000100000000')), 'TTLV_BAD_LENGTH'); // Date-Time Extended not 8
    expectCode(struct(raw(INT, 0x06, 4, '0000000100000000')), 'TTLV_BAD_LENGTH'); // Boolean not 8
    expectCode(struct(raw(INT, 0x04, 4, '0000000100000000')), 'TTLV_BAD_LENGTH'); // Big Integer not 8k
    expectCode(struct(raw(INT, 0x04, 0, '')), 'TTLV_BAD_LENGTH'); // Big Integer empty
    expectCode(struct(raw(0x420079, 0x01, 4, '0000000000000000')), 'TTLV_BAD_LENGTH'); // Structure not 8k
  });

  it('TTLV_BAD_LENGTH: framing refuses a message structure whose length is not a multiple of 8', () => {
    expect(() => messageLength(fromHex(raw(0x420078, 0x01, 12)))).toThrow(
      expect.objectContaining({ code: 'TTLV_BAD_LENGTH' }),
    );
  });

  it('TTLV_BAD_VALUE: a Boolean other than 0 or 1', () => {
    expectCode(struct(raw(INT, 0x06, 8, '0000000000000002')), 'TTLV_BAD_VALUE');
    expectCode(struct(raw(INT, 0x06, 8, '0100000000000001')), 'TTLV_BAD_VALUE');
  });

  it('TTLV_BAD_PADDING: non-zero bytes after a value', () => {
    expectCode(struct(raw(INT, 0x02, 4, '0000000100000001')), 'TTLV_BAD_PADDING');
    expectCode(struct(raw(INT, 0x05, 4, '00000001ff000000')), 'TTLV_BAD_PADDING');
    expectCode(struct(raw(INT, 0x0a, 4, '0000000100800000')), 'TTLV_BAD_PADDING');
    expectCode(struct(raw(0x420094, 0x07, 2, '3133000000000020')), 'TTLV_BAD_PADDING');
    expectCode(struct(raw(0x420043, 0x08, 1, 'ff00000000000100')), 'TTLV_BAD_PADDING');
  });

  it('TTLV_UNKNOWN_TYPE: a type byte the specification does not define', () => {
    for (const type of [0x00, 0x0c, 0x42, 0xff]) {
      expectCode(struct(raw(INT, type, 4, '0000000100000000')), 'TTLV_UNKNOWN_TYPE');
    }
    expectCode(raw(0x420078, 0x00, 0), 'TTLV_UNKNOWN_TYPE');
  });

  it('TTLV_BAD_UTF8: a Text String that is not UTF-8', () => {
    expectCode(struct(raw(0x420094, 0x07, 2, 'c328000000000000')), 'TTLV_BAD_UTF8'); // bad continuation
    expectCode(struct(raw(0x420094, 0x07, 3, 'eda080' + '0000000000')), 'TTLV_BAD_UTF8'); // encoded surrogate
    expectCode(struct(raw(0x420094, 0x07, 2, 'c0af000000000000')), 'TTLV_BAD_UTF8'); // overlong '/'
    expectCode(struct(raw(0x420094, 0x07, 1, 'e200000000000000')), 'TTLV_BAD_UTF8'); // cut short
  });

  it('TTLV_TOO_DEEP: nesting beyond the bound (default 32), counting the message itself as 1', () => {
    const nest = (depth: number): string => {
      let hex = raw(INT, 0x02, 4, '0000000100000000');
      for (let i = 0; i < depth; i++) hex = raw(0x420079, 0x01, hex.length / 2, hex);
      return hex;
    };
    expect(decodeTtlv(fromHex(nest(32))).type).toBe('Structure');
    expectCode(nest(33), 'TTLV_TOO_DEEP');
    expectCode(nest(3), 'TTLV_TOO_DEEP', { maxDepth: 2 });
    expectCode(nest(5000), 'TTLV_TOO_DEEP');
  });

  it('TTLV_TOO_LARGE: a header claiming more than the bound, refused before the body is read', () => {
    // Only the 8-byte header is present: the size is refused, not reported truncated.
    expectCode(raw(0x420078, 0x01, 1024 * 1024), 'TTLV_TOO_LARGE');
    expectCode(raw(0x420078, 0x01, 0xfffffff8), 'TTLV_TOO_LARGE');
    expectCode(struct(raw(INT, 0x02, 4, '0000000100000000')), 'TTLV_TOO_LARGE', { maxMessageSize: 16 });
    expect(decodeTtlv(fromHex(struct(raw(INT, 0x02, 4, '0000000100000000'))), { maxMessageSize: 24 })).toBeTruthy();
    expect(() => messageLength(fromHex(raw(0x420078, 0x01, 1024 * 1024)))).toThrow(
      expect.objectContaining({ code: 'TTLV_TOO_LARGE' }),
    );
    expect(messageLength(fromHex(raw(0x420078, 0x01, 4096)), { maxMessageSize: 4104 })).toBe(4104);
    expect(() => messageLength(fromHex(raw(0x420078, 0x01, 4096)), { maxMessageSize: 4103 })).toThrow(
      expect.objectContaining({ code: 'TTLV_TOO_LARGE' }),
    );
  });

  it('TTLV_TRAILING_BYTES: anything after the top-level item', () => {
    expectCode(`${struct(raw(INT, 0x02, 4, '0000000100000000'))}00`, 'TTLV_TRAILING_BYTES');
  });

  it('framing: short headers, unknown types and non-structures', () => {
    const codeOf = (hex: string) => {
      try {
        messageLength(fromHex(hex));
      } catch (e) {
        return (e as TtlvError).code;
      }
      return 'none';
    };
    expect(codeOf('4200780100')).toBe('TTLV_TRUNCATED');
    expect(codeOf(raw(0x420078, 0x0f, 8))).toBe('TTLV_UNKNOWN_TYPE');
    expect(codeOf(raw(0x420078, 0x02, 4))).toBe('TTLV_NOT_STRUCTURE');
  });

  it('reports where in the input the problem is', () => {
    const e = decodeError(struct(raw(INT, 0x02, 4, '0000000100000001')));
    expect(e.offset).toBe(8 + 15);
  });
});

describe('encode refuses values their type cannot carry', () => {
  const encodeCode = (item: TtlvItem): string => {
    try {
      encodeTtlv(item);
    } catch (e) {
      expect(e).toBeInstanceOf(TtlvError);
      return (e as TtlvError).code;
    }
    return 'none';
  };

  it('TTLV_BAD_VALUE for out-of-range numbers, wrong JS types and bad tags', () => {
    expect(encodeCode(integer(INT, 2 ** 31))).toBe('TTLV_BAD_VALUE');
    expect(encodeCode(integer(INT, 1.5))).toBe('TTLV_BAD_VALUE');
    expect(encodeCode({ tag: INT, type: 'Enumeration', value: -1 })).toBe('TTLV_BAD_VALUE');
    expect(encodeCode({ tag: INT, type: 'LongInteger', value: 1n << 63n })).toBe('TTLV_BAD_VALUE');
    expect(encodeCode({ tag: INT, type: 'DateTime', value: 5 as unknown as bigint })).toBe('TTLV_BAD_VALUE');
    expect(encodeCode({ tag: INT, type: 'Boolean', value: 1 as unknown as boolean })).toBe('TTLV_BAD_VALUE');
    expect(encodeCode({ tag: INT, type: 'ByteString', value: 'ab' as unknown as Uint8Array })).toBe('TTLV_BAD_VALUE');
    expect(encodeCode(integer(0x1000000, 1))).toBe('TTLV_BAD_VALUE');
  });

  it('TTLV_BAD_UTF8 for a string with a lone surrogate', () => {
    expect(encodeCode(textString(Tag.NameValue, 'tape\uD800'))).toBe('TTLV_BAD_UTF8');
  });

  it('TTLV_UNKNOWN_TYPE for a type name that does not exist', () => {
    expect(encodeCode({ tag: INT, type: 'Float', value: 1 } as unknown as TtlvItem)).toBe('TTLV_UNKNOWN_TYPE');
  });

  it('TTLV_TOO_DEEP for a cyclic tree instead of a stack overflow', () => {
    const loop = structure(Tag.RequestPayload, []);
    loop.value.push(loop);
    expect(encodeCode(loop)).toBe('TTLV_TOO_DEEP');
  });
});

describe('limits themselves', () => {
  it('refuses nonsense limits as a programming error', () => {
    expect(() => decodeTtlv(new Uint8Array(8), { maxDepth: 0 })).toThrow(RangeError);
    expect(() => decodeTtlv(new Uint8Array(8), { maxMessageSize: -1 })).toThrow(RangeError);
  });
});
