/**
 * Items to TTLV bytes. Values are checked against what their type can carry, so
 * a bug upstream becomes a TtlvError here instead of a message a client misreads.
 * One pass into a growing buffer; each Structure's length is written once its
 * children are.
 */
import { TtlvError } from './errors.js';
import { DEFAULT_LIMITS, HEADER_SIZE, padded } from './limits.js';
import { ItemType, type TtlvItem } from './types.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

// A lone surrogate has no UTF-8 form; TextEncoder would quietly turn it into U+FFFD.
const LONE_SURROGATE = /\p{Surrogate}/u;
const utf8 = new TextEncoder();

export interface EncodeOptions {
  /** Guards against cyclic or runaway item trees; same meaning as when decoding. */
  maxDepth?: number;
}

export function encodeTtlv(item: TtlvItem, options?: EncodeOptions): Uint8Array {
  const writer = new Writer(options?.maxDepth ?? DEFAULT_LIMITS.maxDepth);
  writer.item(item, 1);
  return writer.finish();
}

class Writer {
  private buf = new Uint8Array(512);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  constructor(private readonly maxDepth: number) {}

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  item(item: TtlvItem, depth: number): void {
    const { tag } = item;
    if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) {
      throw new TtlvError('TTLV_BAD_VALUE', `tag ${String(tag)} is not a 3-byte number`);
    }
    const typeByte = (ItemType as Record<string, number>)[item.type];
    if (typeByte === undefined) {
      throw new TtlvError('TTLV_UNKNOWN_TYPE', `unknown item type ${String(item.type)}`);
    }
    const at = this.pos;
    this.reserve(HEADER_SIZE);
    this.buf[at] = tag >>> 16;
    this.buf[at + 1] = (tag >>> 8) & 0xff;
    this.buf[at + 2] = tag & 0xff;
    this.buf[at + 3] = typeByte;
    this.pos += HEADER_SIZE;
    const length = this.value(item, depth);
    this.view.setUint32(at + 4, length);
  }

  /** Writes the value and its padding; returns the Length field (padding excluded). */
  private value(item: TtlvItem, depth: number): number {
    switch (item.type) {
      case 'Structure': {
        if (depth > this.maxDepth) throw new TtlvError('TTLV_TOO_DEEP', `structures nest deeper than ${this.maxDepth}`);
        if (!Array.isArray(item.value)) throw bad(item, 'a Structure holds an array of items');
        const start = this.pos;
        for (const child of item.value) this.item(child, depth + 1);
        return this.pos - start;
      }
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
        this.view.setBigInt64(this.pos, item.value);
        this.pos += 8;
        return 8;
      case 'Boolean':
        if (typeof item.value !== 'boolean') throw bad(item, 'needs true or false');
        this.reserve(8);
        this.view.setBigUint64(this.pos, item.value ? 1n : 0n);
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
        return this.bytes(utf8.encode(item.value));
      case 'ByteString':
        if (!(item.value instanceof Uint8Array)) throw bad(item, 'needs a Uint8Array');
        return this.bytes(item.value);
      default:
        throw new TtlvError('TTLV_UNKNOWN_TYPE', `unknown item type ${String((item as { type: unknown }).type)}`);
    }
  }

  private uint32Slot(n: number, signed: boolean): number {
    this.reserve(8);
    if (signed) this.view.setInt32(this.pos, n);
    else this.view.setUint32(this.pos, n);
    this.view.setUint32(this.pos + 4, 0);
    this.pos += 8;
    return 4;
  }

  private bytes(value: Uint8Array): number {
    const total = padded(value.length);
    this.reserve(total);
    this.buf.set(value, this.pos);
    this.buf.fill(0, this.pos + value.length, this.pos + total);
    this.pos += total;
    return value.length;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
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
