/**
 * Splits a byte stream into TTLV messages. A TTLV item starts with an 8-byte header:
 * tag (3 bytes), type (1), length (4, big-endian) of the value; the value is padded to a
 * multiple of 8. The reader knows nothing else of TTLV: decoding is the codec's job.
 */

export const TTLV_HEADER_BYTES = 8;
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
/** How much of an over-size message is kept: enough to see a request's protocol version. */
const OVERSIZE_HEAD_BYTES = 64;

export type FrameEvent =
  | { kind: 'frame'; frame: Buffer }
  /**
   * The header claims more than the bound; the reader stops here and reads nothing more.
   * `head` is the message's start as far as it had arrived: its 8-byte header, at most 64 bytes.
   */
  | { kind: 'oversize'; head: Buffer; claimedBytes: number };

/** Total bytes of the TTLV item whose header is `header` (8 + value length padded to 8). */
export function frameLengthOf(header: Buffer): number {
  const valueLength = header.readUInt32BE(4);
  return TTLV_HEADER_BYTES + Math.ceil(valueLength / 8) * 8;
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needed: number | undefined;
  private stopped = false;

  constructor(private readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes of an incomplete message held now; 0 between messages. */
  get partialBytes(): number {
    return this.buffered;
  }

  /** Feed a chunk; returns the events it completes, in stream order. */
  push(chunk: Buffer): FrameEvent[] {
    if (this.stopped || chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const events: FrameEvent[] = [];
    for (;;) {
      if (this.needed === undefined) {
        if (this.buffered < TTLV_HEADER_BYTES) break;
        const header = this.peek(TTLV_HEADER_BYTES);
        const total = frameLengthOf(header);
        if (total > this.maxFrameBytes) {
          // Never allocate what the header claims: drop what we hold and stop reading.
          const head = this.peek(Math.min(this.buffered, OVERSIZE_HEAD_BYTES));
          this.stopped = true;
          this.chunks = [];
          this.buffered = 0;
          events.push({ kind: 'oversize', head, claimedBytes: total });
          break;
        }
        this.needed = total;
      }
      if (this.buffered < this.needed) break;
      events.push({ kind: 'frame', frame: this.take(this.needed) });
      this.needed = undefined;
    }
    return events;
  }

  /** A copy of the first `n` buffered bytes, without consuming them. */
  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return Buffer.from(this.chunks[0]!.subarray(0, n));
    const joined = Buffer.concat(this.chunks);
    // Keep the joined buffer so a stream arriving byte by byte is not re-joined per byte.
    this.chunks = [joined];
    return Buffer.from(joined.subarray(0, n));
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    // Copy the frame out so a handler that keeps it does not pin the rest of the chunk.
    const frame = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}
