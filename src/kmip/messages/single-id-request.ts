/**
 * The request a tape library sends most, read straight from its bytes: a header of only
 * Protocol Version and Batch Count 1, and one batch item of only an Operation and a
 * Request Payload that holds one Unique Identifier (Get at every mount, also Get
 * Attributes, Activate, Destroy ... of one key). Decoding it the general way builds a
 * tree of items and reads a dozen optional fields; a server answering one request at a
 * time pays for all of that code with cold CPU caches on every request.
 *
 * Exactly that shape is accepted, byte for byte (zero padding, printable ASCII identifier,
 * a supported version, within the limits); anything else, even one byte off, returns
 * undefined and goes through the general decoder, which then accepts or refuses it as
 * always. What this returns is what decodeRequestMessage returns for the same bytes
 * (messages-single-id test, over every byte of such requests mutated).
 */
import { Tag, textString, structure, type TtlvLimits } from '../ttlv/index.js';
import { resolveLimits } from '../ttlv/limits.js';
import type { RequestMessage } from './request-model.js';
import { sniffVersion } from './request-prefix.js';
import { sameVersion, type ProtocolVersion } from './version.js';

// Offsets in the message; every item header is tag (3) | type (1) | length (4).
const UID_AT = 104;
const UID_VALUE_AT = UID_AT + 8;
/** Structures open around the innermost item (message, header, protocol version). */
const DEPTH = 3;

const STRUCTURE = 0x01;
const INTEGER = 0x02;
const ENUMERATION = 0x05;
const TEXT_STRING = 0x07;

export function decodeSingleIdRequest(
  bytes: Uint8Array,
  limits: Partial<TtlvLimits> | undefined,
  supported: readonly ProtocolVersion[],
): RequestMessage | undefined {
  if (bytes.length < UID_VALUE_AT || bytes.length % 8 !== 0) return undefined;
  const { maxMessageSize, maxDepth } = resolveLimits(limits);
  if (bytes.length > maxMessageSize || maxDepth < DEPTH) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = (at: number, tag: number, type: number, length: number): boolean =>
    view.getUint32(at) === ((tag << 8) | type) >>> 0 && view.getUint32(at + 4) === length;
  /** An Integer or Enumeration at `at`; its value comes from view.getInt32/getUint32(at + 8). */
  const fourBytes = (at: number, tag: number, type: number): boolean => header(at, tag, type, 4) && view.getUint32(at + 12) === 0;

  const uidLength = view.getUint32(UID_AT + 4);
  const total = UID_VALUE_AT + uidLength + ((8 - (uidLength % 8)) % 8);
  if (total !== bytes.length) return undefined;
  if (
    !header(0, Tag.RequestMessage, STRUCTURE, total - 8) ||
    !header(8, Tag.RequestHeader, STRUCTURE, 56) ||
    !header(16, Tag.ProtocolVersion, STRUCTURE, 32) ||
    !fourBytes(24, Tag.ProtocolVersionMajor, INTEGER) ||
    !fourBytes(40, Tag.ProtocolVersionMinor, INTEGER) ||
    !fourBytes(56, Tag.BatchCount, INTEGER) ||
    view.getUint32(64) !== 1 ||
    !header(72, Tag.BatchItem, STRUCTURE, total - 80) ||
    !fourBytes(80, Tag.Operation, ENUMERATION) ||
    !header(96, Tag.RequestPayload, STRUCTURE, total - 104) ||
    !header(UID_AT, Tag.UniqueIdentifier, TEXT_STRING, uidLength)
  ) {
    return undefined;
  }
  const protocolVersion = sniffVersion(bytes);
  if (!protocolVersion || !supported.some((v) => sameVersion(v, protocolVersion))) return undefined;
  for (let i = UID_VALUE_AT; i < total; i++) {
    const b = bytes[i]!;
    const inValue = i < UID_VALUE_AT + uidLength;
    if (inValue ? b < 0x20 || b > 0x7e : b !== 0) return undefined;
  }
  const uid = Buffer.from(bytes.buffer, bytes.byteOffset + UID_VALUE_AT, uidLength).toString('latin1');
  return {
    header: { protocolVersion, batchCount: 1 },
    batchItems: [{ operation: view.getUint32(88), payload: structure(Tag.RequestPayload, [textString(Tag.UniqueIdentifier, uid)]) }],
  };
}
