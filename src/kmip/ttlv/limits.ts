/**
 * Bounds that keep a hostile peer from making the decoder allocate, recurse or
 * wait without limit. A tape library's largest message (a Get with one 32-byte
 * key, or a Locate answer) is a few kilobytes, so the defaults leave ample room.
 */
export interface TtlvLimits {
  /** Largest whole message, header included, in bytes. */
  maxMessageSize: number;
  /** Deepest nesting of Structures; the top-level message is depth 1. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<TtlvLimits> = Object.freeze({
  maxMessageSize: 1024 * 1024,
  maxDepth: 32,
});

/** Deeper than this the decoder's recursion could exhaust the stack. */
const DEPTH_CEILING = 1000;

export function resolveLimits(partial?: Partial<TtlvLimits>): TtlvLimits {
  const maxMessageSize = partial?.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize;
  const maxDepth = partial?.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  // A wrong limit is a programming error, reported as such rather than as bad input.
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < HEADER_SIZE) {
    throw new RangeError(`maxMessageSize must be an integer of at least ${HEADER_SIZE}, got ${maxMessageSize}`);
  }
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > DEPTH_CEILING) {
    throw new RangeError(`maxDepth must be an integer from 1 to ${DEPTH_CEILING}, got ${maxDepth}`);
  }
  return { maxMessageSize, maxDepth };
}

/** Every item starts with 3 bytes of tag, 1 of type and 4 of length. */
export const HEADER_SIZE = 8;

/** Values are padded with zeros up to the next multiple of 8. */
export function padded(length: number): number {
  // Plain arithmetic, not bit masks: lengths go up to 2^32 - 1.
  return length + ((8 - (length % 8)) % 8);
}
