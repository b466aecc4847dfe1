/**
 * TTLV bytes to items. Every malformed input ends in a TtlvError with a code;
 * nothing is allocated for a length until the bytes it claims are known to be there,
 * and nothing recurses deeper than the configured bound.
 */
import { TtlvError } from './errors.js';
import { HEADER_SIZE, padded, resolveLimits, type TtlvLimits } from './limits.js';
import { itemTypeName, type TtlvItem } from './types.js';

// fatal: invalid UTF-8 is an error, not U+FFFD. ignoreBOM: keep a leading BOM as
// a character, so decode-then-encode gives back the same bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes exactly one top-level item filling `bytes`. The size bound is checked
 * from the header before anything else is read.
 */
export function decodeTtlv(bytes: Uint8Array, limits?: Partial<TtlvLimits>): TtlvItem {
  const { maxMessageSize, maxDepth } = resolveLimits(limits);
  if (bytes.length < HEADER_SIZE) {
    throw new TtlvError('TTLV_TRUNCATED', `a TTLV item needs at least ${HEADER_SIZE} bytes, got ${bytes.length}`, 0);
  }
  const reader = new Reader(bytes, maxDepth);
  const total = HEADER_SIZE + padded(reader.uint32(4));
  if (total > maxMessageSize) {
    throw new TtlvError('TTLV_TOO_LARGE', `item of ${total} bytes exceeds the limit of ${maxMessageSize}`, 4);
  }
  if (bytes.length < total) {
    throw new TtlvError('TTLV_TRUNCATED', `the item needs ${total} bytes, only ${bytes.length} are present`, bytes.length);
  }
  if (bytes.length > total) {
    throw new TtlvError('TTLV_TRAILING_BYTES', `${bytes.length - total} bytes follow the top-level item`, total);
  }
  return reader.item(total, 1);
}

class Reader {
  private readonly view: DataView;
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  uint32(at: number): number {
    return this.view.getUint32(at);
  }

  /** Reads the item at `pos`, which must end by `end` (its parent's end). */
  item(end: number, depth: number): TtlvItem {
    const at = this.pos;
    if (end - at < HEADER_SIZE) {
      throw new TtlvError('TTLV_LENGTH_OVERRUN', 'an item header runs past the end of its structure', at);
    }
    const tag = (this.bytes[at]! << 16) | (this.bytes[at + 1]! << 8) | this.bytes[at + 2]!;
    const typeByte = this.bytes[at + 3]!;
    const type = itemTypeName(typeByte);
    if (type === undefined) {
      throw new TtlvError('TTLV_UNKNOWN_TYPE', `unknown item type 0x${typeByte.toString(16)}`, at + 3);
    }
    const length = this.view.getUint32(at + 4);
    const start = at + HEADER_SIZE;
    const next = start + padded(length);
    if (next > end) {
      throw new TtlvError('TTLV_LENGTH_OVERRUN', `${tagHex(tag)} claims ${length} bytes, more than its parent holds`, at + 4);
    }
    this.pos = next;

    switch (type) {
      case 'Structure':
        return { tag, type, value: this.children(start, length, depth) };
      case 'Integer':
        this.fixed(tag, at, length, 4);
        this.zeroPadding(start + 4, next);
        return { tag, type, value: this.view.getInt32(start) };
      case 'Enumeration':
        this.fixed(tag, at, length, 4);
        this.zeroPadding(start + 4, next);
        return { tag, type, value: this.view.getUint32(start) };
      case 'Interval':
        this.fixed(tag, at, length, 4);
        this.zeroPadding(start + 4, next);
        return { tag, type, value: this.view.getUint32(start) };
      case 'LongInteger':
      case 'DateTime':
      case 'DateTimeExtended':
        this.fixed(tag, at, length, 8);
        return { tag, type, value: this.view.getBigInt64(start) };
      case 'Boolean':
        return { tag, type, value: this.boolean(tag, at, length) };
      case 'BigInteger':
        if (length === 0 || length % 8 !== 0) {
          throw new TtlvError('TTLV_BAD_LENGTH', `${tagHex(tag)} Big Integer length ${length} is not a positive multiple of 8`, at + 4);
        }
        return { tag, type, value: twosComplement(this.bytes.subarray(start, start + length)) };
      case 'TextString':
        this.zeroPadding(start + length, next);
        return { tag, type, value: this.text(tag, start, length) };
      case 'ByteString':
        this.zeroPadding(start + length, next);
        // A copy, so a kept key does not pin the whole received message in memory.
        return { tag, type, value: new Uint8Array(this.bytes.subarray(start, start + length)) };
    }
  }

  private children(start: number, length: number, depth: number): TtlvItem[] {
    if (depth > this.maxDepth) {
      throw new TtlvError('TTLV_TOO_DEEP', `structures nest deeper than ${this.maxDepth}`, start - HEADER_SIZE);
    }
    if (length % 8 !== 0) {
      throw new TtlvError('TTLV_BAD_LENGTH', `structure length ${length} is not a multiple of 8`, start - 4);
    }
    const end = start + length;
    const items: TtlvItem[] = [];
    this.pos = start;
    while (this.pos < end) items.push(this.item(end, depth + 1));
    this.pos = end;
    return items;
  }

  private fixed(tag: number, at: number, length: number, expected: number): void {
    if (length !== expected) {
      throw new TtlvError('TTLV_BAD_LENGTH', `${tagHex(tag)} has length ${length}, its type requires ${expected}`, at + 4);
    }
  }

  private boolean(tag: number, at: number, length: number): boolean {
    this.fixed(tag, at, length, 8);
    const high = this.view.getUint32(at + 8);
    const low = this.view.getUint32(at + 12);
    if (high !== 0 || low > 1) {
      throw new TtlvError('TTLV_BAD_VALUE', `${tagHex(tag)} Boolean must be 0 or 1`, at + 8);
    }
    return low === 1;
  }

  private text(tag: number, start: number, length: number): string {
    try {
      return utf8.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw new TtlvError('TTLV_BAD_UTF8', `${tagHex(tag)} Text String is not valid UTF-8`, start);
    }
  }

  private zeroPadding(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      if (this.bytes[i] !== 0) throw new TtlvError('TTLV_BAD_PADDING', 'padding bytes must be zero', i);
    }
  }
}

function twosComplement(bytes: Uint8Array): bigint {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  const unsigned = BigInt(`0x${hex}`);
  return bytes[0]! & 0x80 ? unsigned - (1n << BigInt(bytes.length * 8)) : unsigned;
}

function tagHex(tag: number): string {
  return `tag 0x${tag.toString(16).toUpperCase().padStart(6, '0')}`;
}
