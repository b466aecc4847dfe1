/**
 * Keys a library was given after the last backup, made its KMIP objects again by sync.
 *
 * A restored keystore holds the material of every key of a set, but the keys handed out
 * after the backup are stock in it: no object, so the library's Get and Locate found
 * nothing and the tapes written with them could not be read. Allocation takes a library's
 * keys strictly in order, so every key up to the last one the library used was handed to
 * it; sync makes each of them the library's object again with what is known of it:
 *
 * - its name (the Unique Identifier, and a Name the library can Locate it by: the key's
 *   name is what a tape carries and what the administrator gave to sync);
 * - State Active, Initial and Activation Date the time of the sync. The key protects data
 *   on a tape: Active is what a library that activated it after Create last saw, it may
 *   be read and appended with, and (KMIP) it cannot be destroyed without a Revoke first.
 *   A library that still sends Activate for it is answered as if it had just done so.
 * - the usage mask a Create without one gets (Encrypt, Decrypt);
 * - `y-Recovered`, the time of the sync: a server attribute that says the rest is unknown.
 *
 * What was not in the backup is left unknown, never invented: no barcode (Alternative
 * Name, x-Barcode) and no key identifier (Application Specific Information) until the
 * library sends them with Add or Modify Attribute, and the key's tape column stays NULL
 * until then (objects.ts fills it in from those attributes).
 */
import { DEFAULT_USAGE_MASK } from './attributes.js';
import { KeyFormat, kindAttributes } from './key-kinds.js';
import { AES, FieldTag, KEY_BITS, ObjectState, SYMMETRIC_KEY, type NewAttribute } from './object-model.js';
import type { KeyRef, ObjectWriter } from './object-writer.js';

export const RECOVERED_ATTRIBUTE = 'y-Recovered';

/** KMIP Name Type: Uninterpreted Text String. */
const UNINTERPRETED_TEXT = 1;

export interface RecoveredKey extends KeyRef { name: string }

/** Makes each key an Active object of its library, in the caller's transaction. */
export function recoverObjects(writer: ObjectWriter, keys: readonly RecoveredKey[], now: number): void {
  for (const k of keys) {
    writer.insert(k, { state: ObjectState.Active, initialDate: now, activationDate: now, attributes: recoveredAttributes(k.name, now) });
  }
}

function recoveredAttributes(name: string, now: number): NewAttribute[] {
  return [
    ...kindAttributes(SYMMETRIC_KEY, { algorithm: AES, bits: KEY_BITS }, KeyFormat.Raw),
    { name: 'Cryptographic Usage Mask', value: { type: 'Integer', value: DEFAULT_USAGE_MASK } },
    {
      name: 'Name',
      value: { type: 'Structure', value: [
        { tag: FieldTag.NameValue, type: 'TextString', value: name },
        { tag: FieldTag.NameType, type: 'Enumeration', value: UNINTERPRETED_TEXT },
      ] },
    },
    { name: RECOVERED_ATTRIBUTE, value: { type: 'DateTime', value: BigInt(Math.floor(now / 1000)) } },
  ];
}
