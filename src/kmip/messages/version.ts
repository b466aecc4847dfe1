/** KMIP protocol versions: what we accept, and how to compare them. */
import { Tag, integer, structure, type TtlvItem } from '../ttlv/index.js';

export interface ProtocolVersion {
  major: number;
  minor: number;
}

/** Newest first, the order Discover Versions answers in. */
export const SUPPORTED_VERSIONS: readonly ProtocolVersion[] = Object.freeze([
  { major: 2, minor: 1 },
  { major: 2, minor: 0 },
  { major: 1, minor: 4 },
  { major: 1, minor: 3 },
  { major: 1, minor: 2 },
  { major: 1, minor: 1 },
  { major: 1, minor: 0 },
]);

export function compareVersions(a: ProtocolVersion, b: ProtocolVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function sameVersion(a: ProtocolVersion, b: ProtocolVersion): boolean {
  return compareVersions(a, b) === 0;
}

export function formatVersion(v: ProtocolVersion): string {
  return `${v.major}.${v.minor}`;
}

/** KMIP 2.0 replaced Template-Attribute / Attribute-by-name with the Attributes structure. */
export function usesAttributesStructure(v: ProtocolVersion): boolean {
  return v.major >= 2;
}

/**
 * The version to answer an unsupported request in: the newest we support that is
 * not newer than what the client asked for, else our oldest. A client that asked
 * for 3.0 gets a 2.1 answer it can at least parse the header of.
 */
export function answeringVersion(requested: ProtocolVersion, supported: readonly ProtocolVersion[]): ProtocolVersion {
  const sorted = [...supported].sort((a, b) => compareVersions(b, a));
  return sorted.find((v) => compareVersions(v, requested) <= 0) ?? sorted[sorted.length - 1] ?? requested;
}

export function protocolVersionItem(v: ProtocolVersion, tag: number = Tag.ProtocolVersion): TtlvItem {
  return structure(tag, [integer(Tag.ProtocolVersionMajor, v.major), integer(Tag.ProtocolVersionMinor, v.minor)]);
}
