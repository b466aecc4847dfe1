/**
 * The KMIP managed-object model as the engine keeps it. The engine must not import the
 * KMIP layer (DESIGN: it knows nothing of transports and wire formats), so the few KMIP
 * numbers it needs to store and search objects are written here; a test pins each of
 * them to the protocol's own tables, so the two can never drift apart.
 *
 * A value has the same shape as a TTLV value ({ type, value }), which lets the KMIP
 * layer hand its decoded values straight in and get them back unchanged.
 */
export type AttributeValue =
  | { type: 'Structure'; value: TaggedValue[] }
  | { type: 'Integer'; value: number }
  | { type: 'LongInteger'; value: bigint }
  | { type: 'BigInteger'; value: bigint }
  | { type: 'Enumeration'; value: number }
  | { type: 'Boolean'; value: boolean }
  | { type: 'TextString'; value: string }
  | { type: 'ByteString'; value: Uint8Array }
  | { type: 'DateTime'; value: bigint }
  | { type: 'Interval'; value: number }
  | { type: 'DateTimeExtended'; value: bigint };

export type ValueType = AttributeValue['type'];
export type TaggedValue = AttributeValue & { tag: number };

/** An attribute instance: KMIP 1.x names it by name and index; 2.x by name and value. */
export interface ObjectAttribute {
  name: string;
  index: number;
  value: AttributeValue;
}

/** An attribute as a client supplies it; the store gives it an index. */
export interface NewAttribute {
  name: string;
  value: AttributeValue;
  index?: number;
}

/** KMIP State enumeration. */
export const ObjectState = {
  PreActive: 1,
  Active: 2,
  Deactivated: 3,
  Compromised: 4,
  Destroyed: 5,
  DestroyedCompromised: 6,
} as const;

export const STATE_NAMES: Record<number, string> = {
  1: 'Pre-Active', 2: 'Active', 3: 'Deactivated', 4: 'Compromised', 5: 'Destroyed', 6: 'Destroyed Compromised',
};

export function isDestroyedState(state: number): boolean {
  return state === ObjectState.Destroyed || state === ObjectState.DestroyedCompromised;
}

/** KMIP Object Type enumeration: the appliance holds symmetric keys only. */
export const SYMMETRIC_KEY = 2;
/** Cryptographic Algorithm AES, and the only length the appliance's keys have. */
export const AES = 3;
export const KEY_BITS = 256;
export const KEY_BYTES = KEY_BITS / 8;

/** Revocation Reason Codes that make an object Compromised rather than Deactivated. */
export const KEY_COMPROMISE = 2;
export const CA_COMPROMISE = 3;

/** Tags of the structure fields the store reads (KMIP Tag enumeration). */
export const FieldTag = {
  NameValue: 0x420055,
  NameType: 0x420054,
  ApplicationNamespace: 0x420003,
  ApplicationData: 0x420002,
  AlternativeNameValue: 0x4200c0,
  AlternativeNameType: 0x4200c1,
  LinkType: 0x42004b,
  LinkedObjectIdentifier: 0x42004c,
  RevocationReasonCode: 0x420082,
  RevocationMessage: 0x420080,
} as const;

/** A key seen as a KMIP managed object. Times are milliseconds since the epoch. */
export interface ManagedObject {
  /** The Unique Identifier: the key's name (see objects.ts for why). */
  uid: string;
  library: string;
  objectType: number;
  state: number;
  origin: 'local' | 'peer' | 'registered';
  tape: string | null;
  drive: string | null;
  initialDate: number;
  activationDate: number | null;
  deactivationDate: number | null;
  destroyDate: number | null;
  compromiseOccurrenceDate: number | null;
  compromiseDate: number | null;
  revocationReason: number | null;
  revocationMessage: string | null;
  lastChangeDate: number;
}
