/**
 * Framing for a byte stream (a TLS socket): a KMIP message is one TTLV Structure,
 * so its first 8 bytes say how long the whole message is. The transport reads those
 * 8 bytes, asks here for the total, refuses what is too large before buffering it,
 * then reads exactly that many bytes and hands them to the decoder.
 */
import { TtlvError } from './errors.js';
import { HEADER_SIZE, resolveLimits, type TtlvLimits } from './limits.js';
import { ItemType, itemTypeName } from './types.js';

/**
 * Total length in bytes (header included) of the message whose first bytes are
 * given. Throws TtlvError: TTLV_TRUNCATED with fewer than 8 bytes, TTLV_UNKNOWN_TYPE
 * or TTLV_NOT_STRUCTURE for a header that cannot start a message, TTLV_BAD_LENGTH
 * for a structure length that is not a multiple of 8, TTLV_TOO_LARGE over the bound.
 */
export function messageLength(header: Uint8Array, limits?: Partial<TtlvLimits>): number {
  const { maxMessageSize } = resolveLimits(limits);
  if (header.length < HEADER_SIZE) {
    throw new TtlvError('TTLV_TRUNCATED', `a TTLV header needs ${HEADER_SIZE} bytes, got ${header.length}`, 0);
  }
  const type = header[3]!;
  if (itemTypeName(type) === undefined) {
    throw new TtlvError('TTLV_UNKNOWN_TYPE', `unknown item type 0x${type.toString(16)}`, 3);
  }
  if (type !== ItemType.Structure) {
    throw new TtlvError('TTLV_NOT_STRUCTURE', 'a KMIP message must be a Structure', 3);
  }
  const length = readUint32(header, 4);
  if (length % 8 !== 0) {
    throw new TtlvError('TTLV_BAD_LENGTH', `structure length ${length} is not a multiple of 8`, 4);
  }
  const total = HEADER_SIZE + length;
  if (total > maxMessageSize) {
    throw new TtlvError('TTLV_TOO_LARGE', `message of ${total} bytes exceeds the limit of ${maxMessageSize}`, 4);
  }
  return total;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}
