/**
 * Typed attribute values to and from the text the keystore stores. The text is
 * canonical (one value, one text), so equality of texts is equality of values and
 * Locate can match in an index. The TTLV type travels in its own column.
 *
 *   Text String          as is
 *   Integer, Enumeration,
 *   Interval             decimal
 *   Long/Big Integer,
 *   Date-Time(-Extended) decimal of the 64-bit (or larger) value
 *   Boolean              true / false
 *   Byte String          lower-case hex
 *   Structure            JSON: [[tag, type, text], ...] in the order given
 */
import { KeyEngineError } from '../errors.js';
import type { AttributeValue, TaggedValue, ValueType } from './object-model.js';

const TYPES: ReadonlySet<string> = new Set<ValueType>([
  'Structure', 'Integer', 'LongInteger', 'BigInteger', 'Enumeration', 'Boolean',
  'TextString', 'ByteString', 'DateTime', 'Interval', 'DateTimeExtended',
]);

export function encodeValue(v: AttributeValue): string {
  switch (v.type) {
    case 'Structure':
      return JSON.stringify(v.value.map(encodeField));
    case 'TextString':
      return v.value;
    case 'ByteString':
      return Buffer.from(v.value).toString('hex');
    case 'Boolean':
      return v.value ? 'true' : 'false';
    default:
      return String(v.value);
  }
}

type Field = [number, string, string | Field[]];

function encodeField(f: TaggedValue): Field {
  return [f.tag, f.type, f.type === 'Structure' ? f.value.map(encodeField) : encodeValue(f)];
}

export function decodeValue(type: string, text: string): AttributeValue {
  if (type === 'Structure') return { type, value: (JSON.parse(text) as Field[]).map(decodeField) };
  return decodePrimitive(type, text);
}

function decodeField([tag, type, body]: Field): TaggedValue {
  const value = type === 'Structure' ? { type: 'Structure' as const, value: (body as Field[]).map(decodeField) } : decodePrimitive(type, body as string);
  return { ...value, tag } as TaggedValue;
}

function decodePrimitive(type: string, text: string): AttributeValue {
  switch (type) {
    case 'TextString':
      return { type, value: text };
    case 'ByteString':
      return { type, value: new Uint8Array(Buffer.from(text, 'hex')) };
    case 'Boolean':
      return { type, value: text === 'true' };
    case 'Integer':
    case 'Enumeration':
    case 'Interval':
      return { type, value: Number(text) };
    case 'LongInteger':
    case 'BigInteger':
    case 'DateTime':
    case 'DateTimeExtended':
      return { type, value: BigInt(text) };
    default:
      throw new KeyEngineError('ATTRIBUTE_STORE_DAMAGED', `A stored attribute has the unknown type ${JSON.stringify(type)}; check the keystore.`, { params: { type } });
  }
}

export function isValueType(t: string): t is ValueType {
  return TYPES.has(t);
}

/** Size of a value as stored, for the per-value bound. */
export function encodedLength(v: AttributeValue): number {
  return Buffer.byteLength(encodeValue(v), 'utf8');
}

/** Deep equality of two values (type and content). */
export function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  return a.type === b.type && encodeValue(a) === encodeValue(b);
}
