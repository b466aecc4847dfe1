import type { NameEncoding } from './descriptors.js';

/** A directory record's fixed part (ECMA-119 9.1): 33 bytes, then the identifier. */
export const RECORD_HEAD = 33;

const FLAG_DIRECTORY = 0x02;
/** Set on every extent of a multi-extent file but its last (ECMA-119 9.1.6, bit 7). */
const FLAG_MORE_EXTENTS = 0x80;

/** One directory record as written, before Rock Ridge or multi-extent files are made sense of. */
export interface RawRecord {
  /** Bytes the record takes in its directory (LEN_DR). */
  length: number;
  /** First logical block of the data, after any extended attribute record. */
  block: number;
  size: number;
  isDirectory: boolean;
  moreExtents: boolean;
  /** Interleaved files (file unit size > 0) are not read; no CD tool writes them today. */
  interleaved: boolean;
  /** The "." or ".." entry, by its one-byte identifier 0 or 1. */
  self: boolean;
  parent: boolean;
  /** The identifier's bytes, undecoded. */
  id: Buffer;
  /** The System Use area: where Rock Ridge keeps the real name. */
  systemUse: Buffer;
  mtime: Date | null;
}

/** Why a record cannot be read, as the words after "a directory record ". */
export type RecordProblem = string;

/**
 * Parses the record at `at` in `buf` (one directory block or the 34 bytes in a volume
 * descriptor). Every length is checked against the buffer, so a damaged record is a
 * sentence, never a read out of bounds.
 */
export function parseRecord(buf: Buffer, at: number): RawRecord | RecordProblem {
  const length = buf[at]!;
  if (length < RECORD_HEAD + 1) return `is ${length} bytes long, shorter than the 34 every record needs`;
  if (at + length > buf.length) return `runs ${at + length - buf.length} bytes past the end of its block`;
  const idLength = buf[at + 32]!;
  if (idLength === 0 || RECORD_HEAD + idLength > length) return `has a name of ${idLength} bytes that does not fit in its ${length}`;
  const flags = buf[at + 25]!;
  const id = buf.subarray(at + RECORD_HEAD, at + RECORD_HEAD + idLength);
  // The identifier is padded to an even length so that the System Use area starts on an even byte.
  const suStart = RECORD_HEAD + idLength + (idLength % 2 === 0 ? 1 : 0);
  const oneByte = idLength === 1 ? id[0] : undefined;
  return {
    length,
    block: buf.readUInt32LE(at + 2) + buf[at + 1]!,
    size: buf.readUInt32LE(at + 10),
    isDirectory: (flags & FLAG_DIRECTORY) !== 0,
    moreExtents: (flags & FLAG_MORE_EXTENTS) !== 0,
    interleaved: buf[at + 26]! !== 0,
    self: oneByte === 0,
    parent: oneByte === 1,
    id,
    systemUse: suStart < length ? buf.subarray(at + suStart, at + length) : Buffer.alloc(0),
    mtime: recordDate(buf.subarray(at + 18, at + 25)),
  };
}

/** ECMA-119 9.1.5: years since 1900, month, day, hour, minute, second, offset from GMT in 15-minute steps. */
function recordDate(d: Buffer): Date | null {
  if (d[1] === 0) return null;
  const utc = Date.UTC(1900 + d[0]!, d[1]! - 1, d[2]!, d[3]!, d[4]!, d[5]!);
  const offsetMinutes = d.readInt8(6) * 15;
  return new Date(utc - offsetMinutes * 60_000);
}

/**
 * The name as the tree writes it, without the ";1" version and, for a name without an
 * extension, the lone "." ISO 9660 requires before it ("README.;1" is "README").
 */
export function decodeName(id: Buffer, encoding: NameEncoding): string {
  const raw = encoding === 'ucs2' ? ucs2be(id) : id.toString('latin1');
  return raw.replace(/;\d+$/, '').replace(/\.$/, '');
}

/** Joliet is UCS-2 big-endian; Node decodes only little-endian, so swap a copy. */
function ucs2be(id: Buffer): string {
  const le = Buffer.alloc(id.length - (id.length % 2));
  for (let i = 0; i + 1 < id.length; i += 2) {
    le[i] = id[i + 1]!;
    le[i + 1] = id[i]!;
  }
  return le.toString('utf16le');
}
