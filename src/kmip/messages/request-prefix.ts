/**
 * What the fixed start of a request shows before (or without) decoding the rest: whether
 * it is a KMIP request at all, and its protocol version, so that even a request that fails
 * further on is answered in the client's version.
 */
import { Tag } from '../ttlv/index.js';
import type { ProtocolVersion } from './version.js';

/** A TTLV Structure tagged Request Message: a KMIP client that sent something broken, not a stranger. */
export function looksLikeRequest(b: Uint8Array): boolean {
  return b.length >= 8 && ((b[0]! << 16) | (b[1]! << 8) | b[2]!) === Tag.RequestMessage && b[3] === 0x01;
}

/**
 * The protocol version from the fixed start of a request: Request Message, Request Header,
 * Protocol Version, then Major and Minor as 4-byte Integers at known offsets. Also read
 * from a request that fails to decode further on, so its error is answered in its version.
 */
export function sniffVersion(b: Uint8Array): ProtocolVersion | undefined {
  if (b.length < 56) return undefined;
  const view = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const tagAt = (off: number) => view.readUIntBE(off, 3);
  if (tagAt(8) !== Tag.RequestHeader || tagAt(16) !== Tag.ProtocolVersion) return undefined;
  if (tagAt(24) !== Tag.ProtocolVersionMajor || view[27] !== 0x02 || tagAt(40) !== Tag.ProtocolVersionMinor || view[43] !== 0x02) return undefined;
  return { major: view.readInt32BE(32), minor: view.readInt32BE(48) };
}
