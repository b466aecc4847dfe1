import { crc16 } from './crc16.js';

/**
 * The board's frames, as the datasheet's "Framing" chapter reads (PROTOCOL.md):
 * SLIP byte stuffing (RFC 1055) around a body of type, sequence number, payload and a
 * CRC-16 of the three. Every frame is sent as END body END: the leading END ends any
 * line noise before it, so garbage costs at most the frame it touches.
 */
export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** The longest payload a frame carries; a longer body is line noise, not a frame. */
export const MAX_PAYLOAD = 64;
const HEADER = 2;
const CHECK = 2;
export const MAX_BODY = HEADER + MAX_PAYLOAD + CHECK;

export interface Frame {
  type: number;
  seq: number;
  payload: Buffer;
}

/** Why a SLIP unit was not a frame (counted, never thrown: the line goes on). */
export type FrameFault = 'too-short' | 'too-long' | 'bad-checksum' | 'bad-escape';

/** Body (type, seq, payload, CRC) for a frame, before stuffing. */
export function frameBody(f: Frame): Buffer {
  if (f.payload.length > MAX_PAYLOAD) throw new RangeError(`a frame carries at most ${MAX_PAYLOAD} payload bytes, not ${f.payload.length}`);
  const body = Buffer.alloc(HEADER + f.payload.length + CHECK);
  body[0] = f.type & 0xff;
  body[1] = f.seq & 0xff;
  f.payload.copy(body, HEADER);
  body.writeUInt16BE(crc16(body.subarray(0, body.length - CHECK)), body.length - CHECK);
  return body;
}

/** The bytes on the wire for one frame: END, the stuffed body, END. */
export function encodeFrame(f: Frame): Buffer {
  const body = frameBody(f);
  const out: number[] = [SLIP_END];
  for (const b of body) {
    if (b === SLIP_END) out.push(SLIP_ESC, SLIP_ESC_END);
    else if (b === SLIP_ESC) out.push(SLIP_ESC, SLIP_ESC_ESC);
    else out.push(b);
  }
  out.push(SLIP_END);
  return Buffer.from(out);
}

/** Checks a body's length and CRC and splits it into a frame. */
export function decodeBody(body: Buffer): Frame | FrameFault {
  if (body.length < HEADER + CHECK) return 'too-short';
  if (body.length > MAX_BODY) return 'too-long';
  const end = body.length - CHECK;
  if (crc16(body.subarray(0, end)) !== body.readUInt16BE(end)) return 'bad-checksum';
  return { type: body[0]!, seq: body[1]!, payload: Buffer.from(body.subarray(HEADER, end)) };
}

/**
 * Splits a byte stream into frames. Bounded: a run of bytes longer than any frame is
 * dropped as it arrives (not buffered until an END shows up), so a board that spews
 * noise costs no memory. serialport's own SlipDecoder buffers without limit and passes
 * an invalid escape on as data, hence this one.
 */
export class FrameReader {
  private readonly buf = Buffer.alloc(MAX_BODY);
  private len = 0;
  private escaped = false;
  private overflow = false;
  private badEscape = false;

  constructor(private readonly onFault: (fault: FrameFault) => void = () => {}) {}

  /** Feeds received bytes; returns the whole frames they complete. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    for (const raw of chunk) {
      if (raw === SLIP_END) {
        this.finish(frames);
        continue;
      }
      let b = raw;
      if (this.escaped) {
        this.escaped = false;
        if (raw === SLIP_ESC_END) b = SLIP_END;
        else if (raw === SLIP_ESC_ESC) b = SLIP_ESC;
        else this.badEscape = true;
      } else if (raw === SLIP_ESC) {
        this.escaped = true;
        continue;
      }
      if (this.len < MAX_BODY) this.buf[this.len++] = b;
      else this.overflow = true;
    }
    return frames;
  }

  private finish(frames: Frame[]): void {
    const { len, overflow, badEscape } = this;
    this.len = 0;
    this.escaped = false;
    this.overflow = false;
    this.badEscape = false;
    if (len === 0 && !overflow) return; // back-to-back ENDs: the idle line between frames
    const f = overflow ? 'too-long' : badEscape ? 'bad-escape' : decodeBody(this.buf.subarray(0, len));
    if (typeof f === 'string') this.onFault(f);
    else frames.push(f);
  }
}
