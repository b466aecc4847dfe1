import type { Clock, TimerHandle } from '../clock.js';
import type { LedId, LedState } from '../leds/contract.js';
import { encodeFrame, type Frame, FrameReader } from './frame.js';
import { ACK, type ButtonId, isReply, MAX_EDGES_PER_FRAME, type Message, PROTOCOL_MAJOR, PROTOCOL_MINOR, type SpeakerEdge } from './messages.js';
import { parseFrame } from './parser.js';
import { writeMessage } from './writer.js';

/** Faults a test asks the simulated board for, one kind of failure each. */
export interface BoardFaults {
  /** Ignores everything it receives and sends nothing (a hung or unpowered board). */
  silent: boolean;
  /** Replies (acks, hello replies) to swallow before answering again: a lost acknowledgement. */
  dropReplies: number;
  /** Replies to send with a wrong CRC. */
  corruptReplies: number;
  /** The protocol major version it claims in its handshake. */
  major: number;
}

export interface FirmwareOptions {
  clock: Clock;
  /** Bytes the board puts on the line. */
  output: (bytes: Buffer) => void;
  /** A frame either way, for transcripts (whole frames, as on the wire). */
  onFrame?: (direction: 'host' | 'board', bytes: Buffer) => void;
  firmware?: string;
  ackTimeoutMs?: number;
  attempts?: number;
}

/**
 * The front-panel board's firmware, played in software: what the simulated board
 * program runs on a pty and the protocol tests run on binding-mock. It answers as
 * PROTOCOL.md says a board must, and can be told to misbehave (BoardFaults).
 */
export class BoardFirmware {
  readonly leds = new Map<LedId, LedState>();
  readonly faults: BoardFaults = { silent: false, dropReplies: 0, corruptReplies: 0, major: PROTOCOL_MAJOR };
  private readonly reader = new FrameReader();
  private readonly started: number;
  private bootedAt: number;
  private bootId = 0;
  private greeted = false;
  private hostSeq: number | null = null;
  private lastReply: Buffer | null = null;
  private seq = 0;
  private readonly outbox: Message[] = [];
  private inFlight: { seq: number; bytes: Buffer; attempts: number; timer: TimerHandle } | null = null;
  /** Every LED change the board made, in order (what a person watching the panel saw). */
  readonly shown: { led: LedId; state: LedState }[] = [];

  constructor(private readonly o: FirmwareOptions) {
    this.started = o.clock.now();
    this.bootedAt = this.started;
  }

  /** Powers up (again): all LEDs dark, no session, and a Boot frame to tell the host. */
  boot(): void {
    this.bootId = (this.bootId + 1) & 0xffff;
    this.bootedAt = this.o.clock.now();
    this.greeted = false;
    this.hostSeq = null;
    this.lastReply = null;
    this.leds.clear();
    this.outbox.length = 0;
    if (this.inFlight) this.o.clock.clearTimeout(this.inFlight.timer);
    this.inFlight = null;
    this.enqueue({ type: 'boot', major: this.faults.major, minor: PROTOCOL_MINOR, bootId: this.bootId });
  }

  press(button: ButtonId, pressed: boolean): void {
    this.enqueue({ type: 'button', button, pressed, atMs: this.uptime() });
  }

  /** Speaker edges, given as offsets from now; sent in frames of at most a dozen. */
  speaker(edges: SpeakerEdge[]): void {
    const base = this.uptime();
    for (let i = 0; i < edges.length; i += MAX_EDGES_PER_FRAME) {
      this.enqueue({ type: 'speaker', edges: edges.slice(i, i + MAX_EDGES_PER_FRAME).map((e) => ({ atMs: base + e.atMs, on: e.on })) });
    }
  }

  /** Bytes from the host. */
  receive(chunk: Buffer): void {
    if (this.faults.silent) return;
    for (const frame of this.reader.push(chunk)) this.handle(frame);
  }

  private uptime(): number {
    return this.o.clock.now() - this.bootedAt;
  }

  private handle(frame: Frame): void {
    // Encoding is deterministic, so this is the frame as it was on the wire.
    this.o.onFrame?.('host', encodeFrame(frame));
    const m = parseFrame(frame);
    if (m.type !== 'unknown' && isReply(m)) {
      if (this.inFlight && frame.seq === this.inFlight.seq) {
        this.o.clock.clearTimeout(this.inFlight.timer);
        this.inFlight = null;
        this.next();
      }
      return;
    }
    // A resend of the request just answered (its answer was lost): answer it again, do it once.
    if (this.hostSeq === frame.seq && this.lastReply) {
      this.reply(this.lastReply);
      return;
    }
    this.hostSeq = frame.seq;
    this.reply(writeMessage(this.answer(m), frame.seq));
  }

  private answer(m: Message | { type: 'unknown' }): Message {
    const ack = (status: (typeof ACK)[keyof typeof ACK]): Message => ({ type: 'ack', status });
    if (m.type === 'hello') {
      this.greeted = true;
      return { type: 'helloReply', major: this.faults.major, minor: PROTOCOL_MINOR, bootId: this.bootId, firmware: this.o.firmware ?? 'qkm-panel-sim 1.0' };
    }
    if (m.type === 'unknown') return ack(ACK.badMessage);
    if (!this.greeted) return ack(ACK.noSession);
    if (m.type === 'setLed') {
      this.leds.set(m.led, m.state);
      this.shown.push({ led: m.led, state: m.state });
      return ack(ACK.ok);
    }
    return ack(m.type === 'ping' ? ACK.ok : ACK.badMessage);
  }

  private reply(bytes: Buffer): void {
    this.lastReply = bytes;
    if (this.faults.dropReplies > 0) {
      this.faults.dropReplies--;
      return;
    }
    if (this.faults.corruptReplies > 0) {
      this.faults.corruptReplies--;
      const bad = Buffer.from(bytes);
      // The byte before the closing END is the CRC's low byte (never a stuffed pair's second byte that matters here).
      bad[bad.length - 2] = (bad[bad.length - 2]! ^ 0x01) & 0xff;
      if (bad[bad.length - 2] === 0xc0 || bad[bad.length - 2] === 0xdb) bad[bad.length - 2] = 0x55;
      this.put(bad);
      return;
    }
    this.put(bytes);
  }

  private put(bytes: Buffer): void {
    this.o.onFrame?.('board', bytes);
    this.o.output(bytes);
  }

  private enqueue(m: Message): void {
    this.outbox.push(m);
    if (!this.inFlight) this.next();
  }

  /** The board's own messages go one at a time, each resent until the host acknowledges it. */
  private next(): void {
    const m = this.outbox.shift();
    if (!m) return;
    this.seq = (this.seq + 1) & 0xff;
    const bytes = writeMessage(m, this.seq);
    const attempt = (n: number): void => {
      if (this.faults.silent) return;
      this.put(bytes);
      const timer = this.o.clock.setTimeout(() => {
        if (n < (this.o.attempts ?? 3)) attempt(n + 1);
        else {
          this.inFlight = null;
          this.next();
        }
      }, this.o.ackTimeoutMs ?? 150);
      this.inFlight = { seq: this.seq, bytes, attempts: n, timer };
    };
    attempt(1);
  }

  /** Stops the board's own resend timers (the program is exiting). */
  stop(): void {
    if (this.inFlight) this.o.clock.clearTimeout(this.inFlight.timer);
    this.inFlight = null;
    this.outbox.length = 0;
  }
}
