/**
 * The Tape Library Profile's view of a key's attributes: the tape's barcode arrives as
 * Alternative Name (KMIP 1.2+) or as the custom attribute x-Barcode, and the tape's key
 * identifier (its Key Associated Data, as hex text) as Application Specific Information
 * in namespace LIBRARY-LTO or LIBRARY-LTOn.
 */
import { FieldTag, type NewAttribute } from './object-model.js';
import { TAPE_PATTERN } from './names.js';

const LTO_NAMESPACE = /^LIBRARY-LTO\d*$/;

/** What the allocation records as the tape when a library names none (a valid tape field, plainly not a barcode). */
export const UNKNOWN_TAPE = '(unlabelled)';

function structText(a: NewAttribute, tag: number): string | undefined {
  if (a.value.type !== 'Structure') return undefined;
  const f = a.value.value.find((x) => x.tag === tag);
  return f?.type === 'TextString' ? f.value : undefined;
}

export function barcodeOf(attrs: readonly NewAttribute[]): string | undefined {
  for (const a of attrs) {
    if (a.name === 'Alternative Name') {
      const v = structText(a, FieldTag.AlternativeNameValue);
      if (v !== undefined) return v;
    }
    if (a.name.toLowerCase() === 'x-barcode' && a.value.type === 'TextString') return a.value.value;
  }
  return undefined;
}

export function keyIdentifierOf(attrs: readonly NewAttribute[]): string | undefined {
  for (const a of attrs) {
    if (a.name !== 'Application Specific Information') continue;
    const ns = structText(a, FieldTag.ApplicationNamespace);
    if (ns !== undefined && LTO_NAMESPACE.test(ns)) return structText(a, FieldTag.ApplicationData);
  }
  return undefined;
}

/**
 * The tape an allocation is recorded against: the barcode if the library sent one (a bad
 * barcode is refused, not hidden), else the key identifier when it fits the tape field,
 * else a marker that says the library did not say.
 */
export function tapeFor(attrs: readonly NewAttribute[]): string {
  const barcode = barcodeOf(attrs);
  if (barcode !== undefined) return barcode;
  const kad = keyIdentifierOf(attrs);
  return kad !== undefined && TAPE_PATTERN.test(kad) ? kad : UNKNOWN_TAPE;
}

/** The attributes a tape is known by: a change to one of them may change the key's tape. */
export function isTapeAttribute(name: string): boolean {
  return name === 'Alternative Name' || name === 'Application Specific Information' || name.toLowerCase() === 'x-barcode';
}
