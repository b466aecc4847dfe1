import type { SerialPortStream } from '@serialport/stream';
import type { Clock, TimerHandle } from '../clock.js';
import { DriverError } from '../errors.js';
import { FrameReader, type FrameFault } from './frame.js';
import { ACK, isReply, type Message } from './messages.js';
import { errText, openSerialStream, type SerialBinding } from './open-port.js';
import { parseFrame } from './parser.js';
import { writeMessage } from './writer.js';

/**
 * The link to the board: serialport's own stream over whichever binding it is given (the
 * native one on a tty or pty, @serialport/binding-mock in protocol tests), carrying
 * frames with stop-and-wait retransmission (PROTOCOL.md, "Acknowledgements").
 */
export type { SerialBinding };

export interface LinkOptions {
  binding: SerialBinding;
  path: string;
  baudRate: number;
  clock: Clock;
  /** How long one attempt waits for the board's answer. */
  ackTimeoutMs: number;
  /** Sends of one message before the board counts as silent (the first included). */
  attempts: number;
  /** A message the board started (button, speaker, boot), delivered once however often it was resent. */
  onMessage: (m: Message) => void;
  /** The port closed under us (unplugged adapter, the far end of a pty gone). */
  onGone?: (why: string) => void;
  /** Every chunk either way, for transcripts. */
  onTraffic?: (direction: 'out' | 'in', bytes: Buffer) => void;
}

export interface LinkCounters {
  framesIn: number;
  framesOut: number;
  retransmissions: number;
  faults: Record<FrameFault | 'unknown-message' | 'stray-reply', number>;
}

interface Waiting {
  seq: number;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: TimerHandle | null;
}

export class SerialLink {
  private port: SerialPortStream | null = null;
  private readonly reader: FrameReader;
  private seq = 0;
  /** The board's last sequence number delivered, so a resend whose ack was lost is not delivered twice. */
  private peerSeq: number | null = null;
  private waiting: Waiting | null = null;
  /** Requests go one at a time: each waits for the one before it. */
  private queue: Promise<unknown> = Promise.resolve();
  readonly counters: LinkCounters = {
    framesIn: 0, framesOut: 0, retransmissions: 0,
    faults: { 'too-short': 0, 'too-long': 0, 'bad-checksum': 0, 'bad-escape': 0, 'unknown-message': 0, 'stray-reply': 0 },
  };

  constructor(private readonly o: LinkOptions) {
    this.reader = new FrameReader((f) => this.counters.faults[f]++);
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Opens the port; rejects with DEVICE_GONE when it cannot (no such path, not a tty, busy). */
  async open(): Promise<void> {
    if (this.isOpen) return;
    const port = await openSerialStream(this.o.binding, this.o.path, this.o.baudRate);
    this.port = port;
    this.peerSeq = null;
    port.on('data', (chunk: Buffer) => this.received(chunk));
    // A read or write error on a serial port ends in a close; the close is what we act on.
    port.on('error', () => {});
    port.on('close', (err: Error | null) => {
      if (this.port !== port) return;
      this.port = null;
      const why = err ? errText(err) : 'closed';
      this.failWaiting(this.gone(why));
      this.o.onGone?.(why);
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    this.failWaiting(this.gone('closed by qkmd'));
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /**
   * Sends a message and resolves with the board's answer to it, resending it under the
   * same sequence number until an answer comes or the attempts run out.
   */
  request(m: Message): Promise<Message> {
    const run = this.queue.then(() => this.exchange(m));
    this.queue = run.catch(() => {});
    return run;
  }

  private async exchange(m: Message): Promise<Message> {
    this.seq = (this.seq + 1) & 0xff;
    const seq = this.seq;
    const bytes = writeMessage(m, seq);
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      if (attempt > 1) this.counters.retransmissions++;
      const answer = await new Promise<Message | null>((resolve, reject) => {
        const w: Waiting = { seq, resolve, reject, timer: null };
        this.waiting = w;
        w.timer = this.o.clock.setTimeout(() => {
          if (this.waiting === w) this.waiting = null;
          resolve(null);
        }, this.o.ackTimeoutMs);
        this.send(bytes).catch((e: unknown) => this.failWaiting(e instanceof Error ? e : new Error(String(e))));
      });
      if (answer) return answer;
    }
    throw new DriverError('DEVICE_SILENT', `The front-panel board on ${this.o.path} did not answer ${this.o.attempts} times in a row.`, {
      path: this.o.path, message: m.type, attempts: this.o.attempts, ackTimeoutMs: this.o.ackTimeoutMs,
    });
  }

  private send(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(this.gone('not open'));
    this.counters.framesOut++;
    this.o.onTraffic?.('out', bytes);
    return new Promise((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(this.gone(errText(err))) : resolve()));
    });
  }

  private gone(why: string): DriverError {
    return new DriverError('DEVICE_GONE', `The serial port ${this.o.path} of the front-panel board went away (${why}).`, { path: this.o.path });
  }

  private failWaiting(e: Error): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = null;
    if (w.timer) this.o.clock.clearTimeout(w.timer);
    w.reject(e);
  }

  private received(chunk: Buffer): void {
    this.o.onTraffic?.('in', chunk);
    for (const frame of this.reader.push(chunk)) {
      const m = parseFrame(frame);
      if (m.type === 'unknown') {
        this.counters.faults['unknown-message']++;
        continue;
      }
      this.counters.framesIn++;
      if (isReply(m)) {
        const w = this.waiting;
        // A late answer to an attempt we gave up on, or to nothing: the sequence number tells.
        if (!w || w.seq !== frame.seq) {
          this.counters.faults['stray-reply']++;
          continue;
        }
        this.waiting = null;
        if (w.timer) this.o.clock.clearTimeout(w.timer);
        w.resolve(m);
        continue;
      }
      // The board's own message: acknowledge every copy, deliver only the first.
      this.send(writeMessage({ type: 'ack', status: ACK.ok }, frame.seq)).catch(() => {});
      if (m.type === 'boot') this.peerSeq = null;
      if (this.peerSeq === frame.seq) continue;
      this.peerSeq = frame.seq;
      this.o.onMessage(m);
    }
  }
}
