/**
 * What kinds of object the store keeps, and what each one's material must be. A tape
 * library's keys are AES-256 from its sets; a general client's objects are symmetric keys
 * of any AES length or Triple-DES, or Secret Data (a password, a seed, a database's
 * master key), each keeping its own algorithm, length and the format it came in.
 *
 * The numbers are KMIP's (Object Type, Cryptographic Algorithm, Key Format Type); the
 * engine may not import the KMIP layer, so they are written here and a test pins them to
 * the protocol's own tables.
 */
import { ObjectError } from './object-errors.js';
import { AES, KEY_BITS, SYMMETRIC_KEY, type NewAttribute, type ObjectAttribute } from './object-model.js';

export const SECRET_DATA = 7;
export const TRIPLE_DES = 2;

/** Key Format Type: how the material travels (and, for a registered object, how it came). */
export const KeyFormat = { Raw: 1, Opaque: 2, TransparentSymmetricKey: 7 } as const;

/**
 * The lengths each algorithm's keys may have, in bits. Triple-DES is three 56-bit keys,
 * sent as 24 bytes with parity: the profiles call that 168 bits, PyKMIP and others 192
 * (parity counted); both are the same 24 bytes, and the object keeps the length it was given.
 */
const LENGTHS: ReadonlyMap<number, readonly number[]> = new Map([
  [AES, [128, 192, 256]],
  [TRIPLE_DES, [168, 192]],
]);

/**
 * A Secret Data's type (Password, Seed), which Get must give back and which is no KMIP
 * attribute: kept as a server custom attribute, readable by name.
 */
export const SECRET_TYPE_ATTRIBUTE = 'y-Secret Data Type';
const SECRET_TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'Password', 2: 'Seed' };

/** Secret Data beyond this is not a secret but a file; it would also outgrow a KMIP message. */
export const MAX_SECRET_BYTES = 4096;

/** A symmetric key's algorithm and length, as the store keeps them beside its material. */
export interface KeySpec {
  algorithm: number;
  bits: number;
}

/** The bytes a key of this spec has on the wire and in its record. */
export function materialBytes(spec: KeySpec): number {
  return spec.algorithm === TRIPLE_DES ? 24 : spec.bits / 8;
}

/** The algorithm and length a new symmetric key asks for; AES-256 where it says nothing. */
export function requestedSpec(attributes: readonly NewAttribute[], material?: Buffer): KeySpec {
  const algorithm = numberNamed(attributes, 'Cryptographic Algorithm') ?? AES;
  const given = numberNamed(attributes, 'Cryptographic Length');
  const bits = given ?? (material === undefined ? KEY_BITS : algorithm === TRIPLE_DES ? 168 : material.length * 8);
  const lengths = LENGTHS.get(algorithm);
  if (lengths === undefined) {
    throw new ObjectError('ATTRIBUTE_INVALID', `This server keeps AES and Triple-DES keys; Cryptographic Algorithm ${algorithm} is not one of them.`, { params: { attribute: 'Cryptographic Algorithm' } });
  }
  if (!lengths.includes(bits) && given === undefined && material !== undefined) {
    throw new ObjectError('MATERIAL_INVALID', `A key of Cryptographic Algorithm ${algorithm} has ${lengths.join(', ')} bits; the key given has ${material.length} bytes.`, { params: { bytes: material.length } });
  }
  if (!lengths.includes(bits)) {
    throw new ObjectError('ATTRIBUTE_INVALID', `A key of Cryptographic Algorithm ${algorithm} has ${lengths.join(', ')} bits, not ${bits}.`, { params: { attribute: 'Cryptographic Length' } });
  }
  return { algorithm, bits };
}

/** Refuses material that is not what its spec says (a 16-byte key registered as AES-256). */
export function checkMaterial(spec: KeySpec | null, material: Buffer): void {
  const bytes = Buffer.isBuffer(material) ? material.length : 0;
  if (spec === null) {
    if (bytes === 0 || bytes > MAX_SECRET_BYTES) {
      throw new ObjectError('MATERIAL_INVALID', `Secret Data must have 1 to ${MAX_SECRET_BYTES} bytes; ${bytes} were given.`, { params: { bytes } });
    }
    return;
  }
  const want = materialBytes(spec);
  if (bytes !== want) {
    throw new ObjectError('MATERIAL_INVALID', `A ${spec.bits}-bit key has ${want} bytes; the key given has ${bytes}.`, { params: { bytes } });
  }
}

/** A fresh key of this spec; Triple-DES bytes get odd parity, as DES keys carry it. */
export function mintMaterial(spec: KeySpec, random: (n: number) => Buffer): Buffer {
  const material = random(materialBytes(spec));
  if (spec.algorithm === TRIPLE_DES) {
    for (let i = 0; i < material.length; i++) {
      const high = material[i]! & 0xfe;
      let ones = 0;
      for (let b = high; b !== 0; b >>= 1) ones += b & 1;
      material[i] = high | (ones % 2 === 0 ? 1 : 0);
    }
  }
  return material;
}

/** The attributes the server sets on a new object: its algorithm and length (keys) and the format it keeps. */
export function kindAttributes(objectType: number, spec: KeySpec | null, format: number, secretType?: number): NewAttribute[] {
  const out: NewAttribute[] = [{ name: 'Key Format Type', value: { type: 'Enumeration', value: format } }];
  if (secretType !== undefined) out.push({ name: SECRET_TYPE_ATTRIBUTE, value: { type: 'TextString', value: SECRET_TYPE_NAMES[secretType] ?? String(secretType) } });
  if (objectType === SYMMETRIC_KEY && spec !== null) {
    out.push({ name: 'Cryptographic Algorithm', value: { type: 'Enumeration', value: spec.algorithm } });
    out.push({ name: 'Cryptographic Length', value: { type: 'Integer', value: spec.bits } });
  }
  return out;
}

/**
 * An object's algorithm, length and format from its stored attributes. Objects stored
 * before objects kept them are all a library's AES-256 keys in Raw format.
 */
export function kindOf(objectType: number, stored: readonly ObjectAttribute[]): { spec: KeySpec | null; format: number; secretType?: number } {
  const get = (name: string): number | undefined => numberNamed(stored, name);
  if (objectType !== SYMMETRIC_KEY) {
    const secret = stored.find((a) => a.name === SECRET_TYPE_ATTRIBUTE)?.value;
    const named = secret?.type === 'TextString' ? Object.entries(SECRET_TYPE_NAMES).find(([, n]) => n === secret.value)?.[0] : undefined;
    return { spec: null, format: get('Key Format Type') ?? KeyFormat.Opaque, secretType: named === undefined ? 1 : Number(named) };
  }
  return {
    spec: { algorithm: get('Cryptographic Algorithm') ?? AES, bits: get('Cryptographic Length') ?? KEY_BITS },
    format: get('Key Format Type') ?? KeyFormat.Raw,
  };
}

function numberNamed(attributes: readonly (NewAttribute | ObjectAttribute)[], name: string): number | undefined {
  const v = attributes.find((a) => a.name === name)?.value;
  return v?.type === 'Enumeration' || v?.type === 'Integer' ? v.value : undefined;
}
