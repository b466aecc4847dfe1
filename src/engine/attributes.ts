/**
 * The rules for a managed object's attributes: which names exist, their types, who may
 * set them and when, which may have several instances, and what Locate matches on.
 * Names are the KMIP 1.x Attribute Names ("Application Specific Information",
 * "x-Barcode"); the KMIP layer converts 2.x tags and vendor attributes to them.
 */
import { encodeValue, encodedLength, sameValue } from './attribute-codec.js';
import { ObjectError } from './object-errors.js';
import {
  FieldTag,
  type AttributeValue,
  type ManagedObject,
  type NewAttribute,
  type ObjectAttribute,
  type TaggedValue,
  type ValueType,
} from './object-model.js';
import { quoteClientValue } from '../util/bounded-text.js';

/**
 * server: only the server sets it (State, dates, ...);
 * create: the client may give it when the object is made, never change it later;
 * client: the client may add, modify and delete it.
 */
export type Access = 'server' | 'create' | 'client';

interface FieldSpec {
  tag: number;
  type: ValueType;
  required: boolean;
  /** Filled in when a client leaves the field out, so stored structures are complete. */
  fallback?: TaggedValue;
}

interface Rule {
  type: ValueType;
  multi: boolean;
  access: Access;
  /** Kept in the attributes table (true) or read off the object's row (false). */
  stored: boolean;
  fields?: FieldSpec[];
  /** The field(s) Locate finds the attribute by, through the index. */
  search?: (v: TaggedValue[]) => string | undefined;
}

const textOf = (fields: TaggedValue[], tag: number): string | undefined => {
  const f = fields.find((x) => x.tag === tag);
  return f?.type === 'TextString' ? f.value : undefined;
};

/** Namespace and data joined by NUL: a namespace alone is then a prefix of every key in it. */
export function applicationKey(namespace: string, data: string | undefined): string {
  return data === undefined ? `${namespace}\u0000` : `${namespace}\u0000${data}`;
}

const derived = (type: ValueType): Rule => ({ type, multi: false, access: 'server', stored: false });

const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['Unique Identifier', derived('TextString')],
  ['Object Type', derived('Enumeration')],
  ['State', derived('Enumeration')],
  ['Initial Date', derived('DateTime')],
  ['Deactivation Date', derived('DateTime')],
  ['Destroy Date', derived('DateTime')],
  ['Compromise Occurrence Date', derived('DateTime')],
  ['Compromise Date', derived('DateTime')],
  ['Revocation Reason', derived('Structure')],
  ['Last Change Date', derived('DateTime')],
  // Given at creation (the store checks the pair, key-kinds.ts) and kept on the object.
  ['Cryptographic Algorithm', { type: 'Enumeration', multi: false, access: 'create', stored: true }],
  ['Cryptographic Length', { type: 'Integer', multi: false, access: 'create', stored: true }],
  // The format the object was registered in, which Get answers in when none is asked.
  ['Key Format Type', { type: 'Enumeration', multi: false, access: 'server', stored: true }],
  ['Protection Storage Mask', derived('Integer')],
  ['Activation Date', { type: 'DateTime', multi: false, access: 'create', stored: false }],
  ['Cryptographic Usage Mask', { type: 'Integer', multi: false, access: 'create', stored: true }],
  ['Cryptographic Parameters', { type: 'Structure', multi: true, access: 'client', stored: true }],
  ['Name', {
    type: 'Structure', multi: true, access: 'client', stored: true,
    fields: [
      { tag: FieldTag.NameValue, type: 'TextString', required: true },
      { tag: FieldTag.NameType, type: 'Enumeration', required: false, fallback: { tag: FieldTag.NameType, type: 'Enumeration', value: 1 } },
    ],
    search: (f) => textOf(f, FieldTag.NameValue),
  }],
  ['Application Specific Information', {
    type: 'Structure', multi: true, access: 'client', stored: true,
    fields: [
      { tag: FieldTag.ApplicationNamespace, type: 'TextString', required: true },
      { tag: FieldTag.ApplicationData, type: 'TextString', required: false },
    ],
    search: (f) => {
      const ns = textOf(f, FieldTag.ApplicationNamespace);
      const data = textOf(f, FieldTag.ApplicationData);
      return ns === undefined || data === undefined ? undefined : applicationKey(ns, data);
    },
  }],
  ['Alternative Name', {
    type: 'Structure', multi: true, access: 'client', stored: true,
    fields: [
      { tag: FieldTag.AlternativeNameValue, type: 'TextString', required: true },
      { tag: FieldTag.AlternativeNameType, type: 'Enumeration', required: false, fallback: { tag: FieldTag.AlternativeNameType, type: 'Enumeration', value: 1 } },
    ],
    search: (f) => textOf(f, FieldTag.AlternativeNameValue),
  }],
  ['Link', {
    type: 'Structure', multi: true, access: 'client', stored: true,
    fields: [
      { tag: FieldTag.LinkType, type: 'Enumeration', required: true },
      { tag: FieldTag.LinkedObjectIdentifier, type: 'TextString', required: true },
    ],
    search: (f) => textOf(f, FieldTag.LinkedObjectIdentifier),
  }],
  ['Object Group', { type: 'TextString', multi: true, access: 'client', stored: true }],
  ['Contact Information', { type: 'TextString', multi: false, access: 'client', stored: true }],
  ['Description', { type: 'TextString', multi: false, access: 'client', stored: true }],
  ['Comment', { type: 'TextString', multi: false, access: 'client', stored: true }],
]);

/** Custom attributes: "x-" names are the client's, "y-" names the server's (KMIP 1.x §3.38). */
const CUSTOM_RULE: Rule = { type: 'TextString', multi: true, access: 'client', stored: true };
const SERVER_CUSTOM_RULE: Rule = { ...CUSTOM_RULE, access: 'server' };

/** Bounds that keep one object's metadata from growing without limit (the profile asks for 30 of 255+ characters). */
export const MAX_VALUE_BYTES = 4096;
export const MAX_STORED_ATTRIBUTES = 128;
export const MAX_NAME_LENGTH = 255;

/** Cryptographic Usage Mask given to a key whose creator named none: Encrypt | Decrypt. */
export const DEFAULT_USAGE_MASK = 0x0004 | 0x0008;

export function isCustomName(name: string): boolean {
  return name.startsWith('x-') || name.startsWith('y-');
}

export function ruleFor(name: string): Rule {
  if (name.startsWith('x-') && name.length > 2) return CUSTOM_RULE;
  if (name.startsWith('y-') && name.length > 2) return SERVER_CUSTOM_RULE;
  const rule = RULES.get(name);
  if (!rule) throw new ObjectError('ATTRIBUTE_UNSUPPORTED', `The attribute ${quoteClientValue(name)} is not kept by this server.`, { params: { attribute: name } });
  return rule;
}

/** True for any name this store knows (Get Attributes skips the others silently). */
export function isKnownName(name: string): boolean {
  return RULES.has(name) || (isCustomName(name) && name.length > 2);
}

export function isStored(name: string): boolean {
  return ruleFor(name).stored;
}

export function isMultiValued(name: string): boolean {
  return ruleFor(name).multi;
}

/**
 * Checks an attribute a client supplies, when an object is made (`create`) or later
 * (`change`), and returns it in the form it is stored in (structure fields in
 * specification order, omitted optional fields filled in). Throws ObjectError.
 */
export function checkAttribute(attr: NewAttribute, phase: 'create' | 'change'): NewAttribute {
  const { name, value } = attr;
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new ObjectError('ATTRIBUTE_INVALID', `An attribute name must have 1 to ${MAX_NAME_LENGTH} characters.`, { params: { attribute: name } });
  }
  const rule = ruleFor(name);
  if (rule.access === 'server' || (rule.access === 'create' && phase === 'change')) {
    throw new ObjectError('ATTRIBUTE_READ_ONLY', phase === 'create' || rule.access === 'server'
      ? `The attribute "${name}" is set by the server only.`
      : `The attribute "${name}" is fixed when the object is made and cannot be changed.`, { params: { attribute: name } });
  }
  if (rule !== CUSTOM_RULE && value.type !== rule.type) {
    throw new ObjectError('ATTRIBUTE_INVALID', `The attribute "${name}" must be a ${rule.type}, not a ${value.type}.`, { params: { attribute: name } });
  }
  if (encodedLength(value) > MAX_VALUE_BYTES) {
    throw new ObjectError('ATTRIBUTE_LIMIT', `The value of "${name}" is longer than this server keeps (${MAX_VALUE_BYTES} bytes).`, { params: { attribute: name, max: MAX_VALUE_BYTES } });
  }
  if (attr.index !== undefined && (!Number.isInteger(attr.index) || attr.index < 0)) {
    throw new ObjectError('ATTRIBUTE_INVALID', `The attribute index of "${name}" must be a whole number of 0 or more.`, { params: { attribute: name } });
  }
  if (rule.fields && value.type === 'Structure') {
    return { ...attr, value: { type: 'Structure', value: normaliseFields(name, rule.fields, value.value) } };
  }
  return attr;
}

function normaliseFields(name: string, specs: FieldSpec[], given: TaggedValue[]): TaggedValue[] {
  const out: TaggedValue[] = [];
  for (const f of given) {
    if (!specs.some((s) => s.tag === f.tag)) {
      throw new ObjectError('ATTRIBUTE_INVALID', `The attribute "${name}" has a field (tag 0x${f.tag.toString(16)}) it does not define.`, { params: { attribute: name } });
    }
  }
  for (const spec of specs) {
    const found = given.filter((f) => f.tag === spec.tag);
    if (found.length > 1) throw new ObjectError('ATTRIBUTE_INVALID', `A field of the attribute "${name}" appears ${found.length} times.`, { params: { attribute: name } });
    const f = found[0];
    if (f === undefined) {
      if (spec.required) throw new ObjectError('ATTRIBUTE_INVALID', `The attribute "${name}" lacks a required field (tag 0x${spec.tag.toString(16)}).`, { params: { attribute: name } });
      if (spec.fallback) out.push(spec.fallback);
      continue;
    }
    if (f.type !== spec.type) {
      throw new ObjectError('ATTRIBUTE_INVALID', `A field of the attribute "${name}" must be a ${spec.type}, not a ${f.type}.`, { params: { attribute: name } });
    }
    out.push(f);
  }
  return out;
}

/** What the attributes table's `search` column holds for this value (null: match on the value itself). */
export function searchKey(name: string, value: AttributeValue): string | null {
  if (value.type !== 'Structure') return null;
  const rule = isKnownName(name) ? ruleFor(name) : undefined;
  return rule?.search?.(value.value) ?? null;
}

/**
 * Does a stored value satisfy a Locate criterion? Structures match on the fields the
 * criterion gives (KMIP: "all of the structure fields are not required to be specified").
 */
export function satisfies(criterion: AttributeValue, stored: AttributeValue): boolean {
  if (criterion.type !== 'Structure' || stored.type !== 'Structure') return sameValue(criterion, stored);
  return criterion.value.every((want) => stored.value.some((have) => have.tag === want.tag && satisfies(want, have)));
}

/** Protection Storage Masks: Software. Keys live sealed on the appliance's disks, in no HSM. */
const PROTECTION_SOFTWARE = 0x1;

const seconds = (ms: number): bigint => BigInt(Math.floor(ms / 1000));

/** The attributes an object has by being what it is: identity, type, state, dates. */
export function derivedAttributes(o: ManagedObject): ObjectAttribute[] {
  const out: ObjectAttribute[] = [];
  const add = (name: string, value: AttributeValue): void => { out.push({ name, index: 0, value }); };
  const date = (name: string, ms: number | null): void => { if (ms !== null) add(name, { type: 'DateTime', value: seconds(ms) }); };
  add('Unique Identifier', { type: 'TextString', value: o.uid });
  add('Object Type', { type: 'Enumeration', value: o.objectType });
  add('State', { type: 'Enumeration', value: o.state });
  date('Initial Date', o.initialDate);
  date('Activation Date', o.activationDate);
  date('Deactivation Date', o.deactivationDate);
  date('Destroy Date', o.destroyDate);
  date('Compromise Occurrence Date', o.compromiseOccurrenceDate);
  date('Compromise Date', o.compromiseDate);
  if (o.revocationReason !== null) {
    const fields: TaggedValue[] = [{ tag: FieldTag.RevocationReasonCode, type: 'Enumeration', value: o.revocationReason }];
    if (o.revocationMessage !== null) fields.push({ tag: FieldTag.RevocationMessage, type: 'TextString', value: o.revocationMessage });
    add('Revocation Reason', { type: 'Structure', value: fields });
  }
  date('Last Change Date', o.lastChangeDate);
  add('Protection Storage Mask', { type: 'Integer', value: PROTECTION_SOFTWARE });
  return out;
}

export { encodeValue };
