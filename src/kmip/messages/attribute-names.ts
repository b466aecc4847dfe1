/**
 * The standard object attributes (KMIP 1.x §3, 2.x §4) by their specification
 * name, which is also the 1.x Attribute Name text. In 2.x each travels under its
 * own tag, which is the tag of the same name in the Tag table.
 */
import { tagBySpecName } from '../ttlv/index.js';

const BOTH_VERSIONS = [
  'Unique Identifier',
  'Name',
  'Object Type',
  'Cryptographic Algorithm',
  'Cryptographic Length',
  'Cryptographic Parameters',
  'Cryptographic Domain Parameters',
  'Certificate Type',
  'Certificate Length',
  'X.509 Certificate Identifier',
  'X.509 Certificate Subject',
  'X.509 Certificate Issuer',
  'Digital Signature Algorithm',
  'Digest',
  'Cryptographic Usage Mask',
  'Lease Time',
  'Usage Limits',
  'State',
  'Initial Date',
  'Activation Date',
  'Process Start Date',
  'Protect Stop Date',
  'Deactivation Date',
  'Destroy Date',
  'Compromise Occurrence Date',
  'Compromise Date',
  'Revocation Reason',
  'Archive Date',
  'Object Group',
  'Fresh',
  'Link',
  'Application Specific Information',
  'Contact Information',
  'Last Change Date',
  // 1.2
  'Alternative Name',
  'Key Value Present',
  'Key Value Location',
  'Original Creation Date',
  // 1.3
  'Random Number Generator',
  // 1.4
  'PKCS#12 Friendly Name',
  'Description',
  'Comment',
  'Sensitive',
  'Always Sensitive',
  'Extractable',
  'Never Extractable',
] as const;

/** Attributes that 2.x dropped: a 1.x client may send them, a 2.x answer cannot carry them. */
const ONLY_1X = ['Operation Policy Name', 'Certificate Identifier', 'Certificate Subject', 'Certificate Issuer'] as const;

/** Attributes new in 2.x. */
const ONLY_2X = [
  'Key Format Type',
  'NIST Key Type',
  'Opaque Data Type',
  'Protection Level',
  'Protection Period',
  'Protection Storage Mask',
  'Quantum Safe',
  'Short Unique Identifier',
  'Rotate Automatic',
  'Rotate Date',
  'Rotate Generation',
  'Rotate Interval',
  'Rotate Latest',
  'Rotate Name',
  'Rotate Offset',
] as const;

function tagsOf(names: readonly string[]): Map<string, number> {
  return new Map(
    names.map((name) => {
      const tag = tagBySpecName(name);
      if (tag === undefined) throw new Error(`attribute "${name}" has no tag in the tag table`);
      return [name, tag];
    }),
  );
}

const TAG_BY_2X_NAME = tagsOf([...BOTH_VERSIONS, ...ONLY_2X]);
const NAME_BY_2X_TAG = new Map([...TAG_BY_2X_NAME].map(([name, tag]) => [tag, name]));
const STANDARD_NAMES = new Set<string>([...BOTH_VERSIONS, ...ONLY_1X, ...ONLY_2X]);

/** The tag a standard attribute travels under in 2.x, if it has one there. */
export function attributeTagV2(name: string): number | undefined {
  return TAG_BY_2X_NAME.get(name);
}

/** The standard attribute a 2.x tag carries, if it is one. */
export function attributeNameForTagV2(tag: number): string | undefined {
  return NAME_BY_2X_TAG.get(tag);
}

const ONLY_2X_NAMES = new Set<string>(ONLY_2X);

/** Whether the attribute exists in this major version (2.x's new ones do not in 1.x). */
export function attributeExistsIn(name: string, major: number): boolean {
  return major >= 2 || !ONLY_2X_NAMES.has(name);
}

export function isStandardAttributeName(name: string): boolean {
  return STANDARD_NAMES.has(name);
}

/** Vendor Identification is limited to [A-Za-z0-9_.] (2.x §4.60), so the first '-' splits it off unambiguously. */
const VENDOR_NAME = /^([A-Za-z0-9_.]+)-(.+)$/s;

/**
 * Splits "x-barcode" into vendor "x" and name "barcode". 1.x custom attributes are
 * "x-" (client) and "y-" (server) names; 2.x sends them as Vendor Attributes with
 * Vendor Identification "x" or "y", which is the mapping the 2.x specification reserves.
 */
export function splitVendorName(name: string): { vendor: string; attributeName: string } | undefined {
  if (isStandardAttributeName(name)) return undefined;
  const m = VENDOR_NAME.exec(name);
  return m ? { vendor: m[1]!, attributeName: m[2]! } : undefined;
}

export function isCustomAttributeName(name: string): boolean {
  return name.startsWith('x-') || name.startsWith('y-');
}
