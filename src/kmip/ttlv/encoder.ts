/**
 * Items to TTLV bytes. Values are checked against what their type can carry, so
 * a bug upstream becomes a TtlvError here instead of a message a client misreads.
 * One pass into a growing buffer; each Structure's length is written once its
 * children are.
 *
 * This runs once per response on the key server's hot path, so it allocates little:
 * the buffer comes from Node's Buffer pool (no fresh ArrayBuffer for a small message),
 * text is written straight into it, and the result is a view of it, not a copy.
 */
import { TtlvError } from './errors.js';
import { DEFAULT_LIMITS, HEADER_SIZE, padded } from './limits.js';
import { ItemType, itemTypeByte, type TtlvItem } from './types.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

// A lone surrogate has no UTF-8 form; Buffer.write would quietly turn it into U+FFFD.
const LONE_SURROGATE = /\p{Surrogate}/u;
/** Large enough for a Get response, small enough to come from Node's Buffer pool. */
const INITIAL_BYTES = 512;

export interface EncodeOptions {
  /** Guards against cyclic or runaway item trees; same meaning as when decoding. */
  maxDepth?: number;
}

export function encodeTtlv(item: TtlvItem, options?: EncodeOptions): Buffer {
  const writer = new TtlvWriter(options?.maxDepth ?? DEFAULT_LIMITS.maxDepth);
  writer.item(item);
  return writer.finish();
}

/**
 * Writes items one after another. Besides whole items, a Structure can be written open
 * and closed (begin, its children, end), so a message envelope goes straight to bytes
 * without first being built as a tree of items and arrays.
 */
export class TtlvWriter {
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);
  private pos = 0;
  /** Structures open now; the top-level one is depth 1, as when decoding. */
  private depth = 0;

  constructor(private readonly maxDepth: number = DEFAULT_LIMITS.maxDepth) {}

  /** The bytes written; every one of them was set (padding included), none is left over from the pool. */
  finish(): Buffer {
    if (this.depth !== 0) throw new Error(`TtlvWriter.finish with ${this.depth} structure(s) still open`);
    return this.buf.subarray(0, this.pos);
  }

  /** Opens a Structure: write its children next, then end() with what this returned. */
  begin(tag: number): number {
    const at = this.header(tag, ItemType.Structure);
    if (++this.depth > this.maxDepth) throw new TtlvError('TTLV_TOO_DEEP', `structures nest deeper than ${this.maxDepth}`);
    return at;
  }

  /** Closes the Structure begun at `at`: its Length is what was written since. */
  end(at: number): void {
    this.depth--;
    this.buf.writeUInt32BE(this.pos - at - HEADER_SIZE, at + 4);
  }

  item(item: TtlvItem): void {
    if (item.type === 'Structure') {
      const at = this.begin(item.tag);
      if (!Array.isArray(item.value)) throw bad(item, 'a Structure holds an array of items');
      for (const child of item.value) this.item(child);
      this.end(at);
      return;
    }
    const typeByte = itemTypeByte(item.type);
    if (typeByte === undefined) {
      throw new TtlvError('TTLV_UNKNOWN_TYPE', `unknown item type ${String(item.type)}`);
    }
    const at = this.header(item.tag, typeByte);
    // Not inlined into the call below: writing the value may grow (replace) this.buf.
    const length = this.value(item);
    this.buf.writeUInt32BE(length, at + 4);
  }

  /** Tag and Type; the Length is filled in once the value is written. */
  private header(tag: number, typeByte: number): number {
    if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) {
      throw new TtlvError('TTLV_BAD_VALUE', `tag ${String(tag)} is not a 3-byte number`);
    }
    const at = this.pos;
    this.reserve(HEADER_SIZE);
    this.buf[at] = tag >>> 16;
    this.buf[at + 1] = (tag >>> 8) & 0xff;
    this.buf[at + 2] = tag & 0xff;
    this.buf[at + 3] = typeByte;
    this.pos += HEADER_SIZE;
    return at;
  }

  /** Writes the value and its padding; returns the Length field (padding excluded). */
  private value(item: Exclude<TtlvItem, { type: 'Structure' }>): number {
    switch (item.type) {
      case 'Integer':
        return this.uint32Slot(checkRange(item, item.value, INT32_MIN, INT32_MAX), true);
      case 'Enumeration':
      case 'Interval':
        return this.uint32Slot(checkRange(item, item.value, 0, UINT32_MAX), false);
      case 'LongInteger':
      case 'DateTime':
      case 'DateTimeExtended':
        if (typeof item.value !== 'bigint' || item.value < INT64_MIN || item.value > INT64_MAX) {
          throw bad(item, 'needs a bigint within signed 64 bits');
        }
        this.reserve(8);
        this.buf.writeBigInt64BE(item.value, this.pos);
        this.pos += 8;
        return 8;
      case 'Boolean':
        if (typeof item.value !== 'boolean') throw bad(item, 'needs true or false');
        this.reserve(8);
        this.buf.fill(0, this.pos, this.pos + 7);
        this.buf[this.pos + 7] = item.value ? 1 : 0;
        this.pos += 8;
        return 8;
      case 'BigInteger':
        if (typeof item.value !== 'bigint') throw bad(item, 'needs a bigint');
        return this.bytes(bigIntegerBytes(item.value));
      case 'TextString':
        if (typeof item.value !== 'string') throw bad(item, 'needs a string');
        if (LONE_SURROGATE.test(item.value)) {
          throw new TtlvError('TTLV_BAD_UTF8', `tag 0x${item.tag.toString(16)} Text String has a lone surrogate`);
        }
        return this.text(item.value);
      case 'ByteString':
        if (!(item.value instanceof Uint8Array)) throw bad(item, 'needs a Uint8Array');
        return this.bytes(item.value);
      default:
        throw new TtlvError('TTLV_UNKNOWN_TYPE', `unknown item type ${String((item as { type: unknown }).type)}`);
    }
  }

  private uint32Slot(n: number, signed: boolean): number {
    this.reserve(8);
    if (signed) this.buf.writeInt32BE(n, this.pos);
    else this.buf.writeUInt32BE(n, this.pos);
    this.buf.writeUInt32BE(0, this.pos + 4);
    this.pos += 8;
    return 4;
  }

  private bytes(value: Uint8Array): number {
    const total = padded(value.length);
    this.reserve(total);
    this.buf.set(value, this.pos);
    this.pad(this.pos + value.length, total);
    return value.length;
  }

  /** UTF-8 straight into the buffer; room for the worst case (3 bytes per UTF-16 unit) is made first. */
  private text(value: string): number {
    this.reserve(padded(value.length * 3));
    const length = this.buf.write(value, this.pos, 'utf8');
    this.pad(this.pos + length, padded(length));
    return length;
  }

  /** Zeroes from `from` to the end of the value that started at pos and takes `total` bytes; moves pos past it. */
  private pad(from: number, total: number): void {
    this.buf.fill(0, from, this.pos + total);
    this.pos += total;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

function checkRange(item: TtlvItem, n: unknown, min: number, max: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw bad(item, `needs an integer from ${min} to ${max}`);
  }
  return n;
}

function bad(item: TtlvItem, why: string): TtlvError {
  return new TtlvError('TTLV_BAD_VALUE', `tag 0x${item.tag.toString(16)} ${item.type} ${why}, got ${String(item.value)}`);
}

/** Fewest whole 8-byte words of two's complement that hold `n` (KMIP pads with sign bytes). */
function bigIntegerBytes(n: bigint): Uint8Array {
  const magnitude = n < 0n ? -n - 1n : n;
  const bits = magnitude.toString(2).length + 1;
  const size = padded(Math.ceil(bits / 8));
  const unsigned = n < 0n ? (1n << BigInt(size * 8)) + n : n;
  const hex = unsigned.toString(16).padStart(size * 2, '0');
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
