/**
 * The TTLV value model (KMIP 1.x §9.1, 2.x §10.1): every item is a Tag (3 bytes),
 * a Type (1 byte), a Length (4 bytes) and a Value padded to a multiple of 8 bytes.
 *
 * Values keep their exact wire meaning so that decode-then-encode gives back the
 * same bytes: 64-bit quantities are `bigint`, unsigned 32-bit ones are `number`.
 * Unknown tags are ordinary items; nothing here depends on knowing a tag.
 */

/** Type byte values, from the Item Type enumeration. */
export const ItemType = {
  Structure: 0x01,
  Integer: 0x02,
  LongInteger: 0x03,
  BigInteger: 0x04,
  Enumeration: 0x05,
  Boolean: 0x06,
  TextString: 0x07,
  ByteString: 0x08,
  DateTime: 0x09,
  Interval: 0x0a,
  /** KMIP 2.0 and later: microseconds since the epoch. */
  DateTimeExtended: 0x0b,
} as const;

export type ItemTypeName = keyof typeof ItemType;

const TYPE_NAME_BY_BYTE: ReadonlyMap<number, ItemTypeName> = new Map(
  (Object.entries(ItemType) as [ItemTypeName, number][]).map(([name, byte]) => [byte, name]),
);

export function itemTypeName(typeByte: number): ItemTypeName | undefined {
  return TYPE_NAME_BY_BYTE.get(typeByte);
}

// A Map, not an index into ItemType: that lookup by a varying key is megamorphic on the
// encoder's hot path, and would find inherited names such as "toString" too.
const TYPE_BYTE_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(ItemType));

/** The Type byte of an item type's name; undefined for a name that is not one. */
export function itemTypeByte(name: string): number | undefined {
  return TYPE_BYTE_BY_NAME.get(name);
}

/** A value without its tag: what an attribute holds, whatever tag it travels under. */
export type TtlvValue =
  | { type: 'Structure'; value: TtlvItem[] }
  /** Signed 32-bit. */
  | { type: 'Integer'; value: number }
  /** Signed 64-bit. */
  | { type: 'LongInteger'; value: bigint }
  /** Two's complement of any size; encoded in the fewest multiple-of-8 bytes. */
  | { type: 'BigInteger'; value: bigint }
  /** Unsigned 32-bit (extensions use the 0x8XXXXXXX range). */
  | { type: 'Enumeration'; value: number }
  | { type: 'Boolean'; value: boolean }
  | { type: 'TextString'; value: string }
  | { type: 'ByteString'; value: Uint8Array }
  /** Seconds since 1970-01-01T00:00:00Z, signed 64-bit. */
  | { type: 'DateTime'; value: bigint }
  /** Seconds, unsigned 32-bit. */
  | { type: 'Interval'; value: number }
  /** Microseconds since the epoch, signed 64-bit (KMIP 2.0+). */
  | { type: 'DateTimeExtended'; value: bigint };

export type TtlvItem = TtlvValue & { tag: number };

export type TtlvStructure = Extract<TtlvItem, { type: 'Structure' }>;

/** The JS type each item type's value has (kept in step with TtlvValue above). */
export interface ValueByType {
  Structure: TtlvItem[];
  Integer: number;
  LongInteger: bigint;
  BigInteger: bigint;
  Enumeration: number;
  Boolean: boolean;
  TextString: string;
  ByteString: Uint8Array;
  DateTime: bigint;
  Interval: number;
  DateTimeExtended: bigint;
}

type ValueOf<T extends ItemTypeName> = ValueByType[T];

function make<T extends ItemTypeName>(type: T) {
  return (tag: number, value: ValueOf<T>): Extract<TtlvItem, { type: T }> =>
    ({ tag, type, value }) as Extract<TtlvItem, { type: T }>;
}

export const structure = make('Structure');
export const integer = make('Integer');
export const longInteger = make('LongInteger');
export const bigInteger = make('BigInteger');
export const enumeration = make('Enumeration');
export const boolean = make('Boolean');
export const textString = make('TextString');
export const byteString = make('ByteString');
export const interval = make('Interval');
export const dateTimeExtended = make('DateTimeExtended');

/** A Date-Time item; a JS Date is cut to whole seconds, as the wire carries only seconds. */
export function dateTime(tag: number, when: Date | bigint): Extract<TtlvItem, { type: 'DateTime' }> {
  const seconds = typeof when === 'bigint' ? when : BigInt(Math.floor(when.getTime() / 1000));
  return { tag, type: 'DateTime', value: seconds };
}

export function dateFromDateTime(seconds: bigint): Date {
  return new Date(Number(seconds) * 1000);
}

/** Puts a tag on a tagless value (the inverse of reading `{type, value}` off an item). */
export function withTag(tag: number, value: TtlvValue): TtlvItem {
  return { ...value, tag } as TtlvItem;
}

/** Drops the tag, keeping only the typed value. */
export function untaggedValue(item: TtlvItem): TtlvValue {
  return { type: item.type, value: item.value } as TtlvValue;
}
