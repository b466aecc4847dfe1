/**
 * Every way a TTLV byte stream can be wrong has its own stable code, so the
 * message layer (and a log reader) can tell a truncated read from a hostile length.
 * This module depends on nothing else in src/ on purpose: the codec must stay
 * usable by any tool that speaks TTLV.
 */
export type TtlvErrorCode =
  /** The input ends before the item it announces is complete. */
  | 'TTLV_TRUNCATED'
  /** An item inside a structure claims more bytes than its parent has left. */
  | 'TTLV_LENGTH_OVERRUN'
  /** A length that the type does not allow (Integer not 4, Big Integer not a multiple of 8, ...). */
  | 'TTLV_BAD_LENGTH'
  /** Padding bytes after a value are not all zero. */
  | 'TTLV_BAD_PADDING'
  /** The type byte is not one the specification defines. */
  | 'TTLV_UNKNOWN_TYPE'
  /** Structures nest deeper than the configured bound. */
  | 'TTLV_TOO_DEEP'
  /** The message is larger than the configured bound. */
  | 'TTLV_TOO_LARGE'
  /** A Text String that is not valid UTF-8 (or, when encoding, not well-formed Unicode). */
  | 'TTLV_BAD_UTF8'
  /** A value outside what its type can carry (Boolean not 0/1, Integer out of range, ...). */
  | 'TTLV_BAD_VALUE'
  /** Bytes left over after the top-level item. */
  | 'TTLV_TRAILING_BYTES'
  /** A message that should be a Structure is not one. */
  | 'TTLV_NOT_STRUCTURE';

export class TtlvError extends Error {
  readonly code: TtlvErrorCode;
  /** Byte offset in the input where the problem was found, when decoding. */
  readonly offset: number | undefined;

  constructor(code: TtlvErrorCode, message: string, offset?: number) {
    // Bad input is not a bug: the code and offset say what is wrong, a stack trace
    // says nothing more, and capturing one made each rejected message ~10x dearer,
    // which matters when a peer streams garbage at us.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.offset = offset;
    this.name = 'TtlvError';
  }
}

export function isTtlvError(e: unknown): e is TtlvError {
  return e instanceof TtlvError;
}
