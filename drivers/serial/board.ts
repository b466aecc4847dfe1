import type { Clock } from '../clock.js';
import { DriverError, isDriverError } from '../errors.js';
import { describeLedState, type LedId, type LedState } from '../leds/contract.js';
import { ACK, type ButtonId, type Message, PROTOCOL_MAJOR, PROTOCOL_MINOR, type SpeakerEdge } from './messages.js';
import { type LinkCounters, SerialLink, type SerialBinding } from './transport.js';

export interface BoardOptions {
  binding: SerialBinding;
  path: string;
  baudRate: number;
  clock: Clock;
  ackTimeoutMs?: number;
  attempts?: number;
  onTraffic?: (direction: 'out' | 'in', bytes: Buffer) => void;
  /** Something the caller should log: the board rebooted, the port went away, a resync failed. */
  onNotice?: (what: string, detail: Record<string, unknown>) => void;
}

/** What the board said about itself in the handshake. */
export interface BoardIdentity {
  protocol: string;
  firmware: string;
  bootId: number;
}

type Listener<T> = (v: T) => void;

/**
 * The host's side of a session with the front-panel board: opens the port when needed
 * (again after it went away), greets the board and checks its protocol version, and keeps
 * the LED states it was asked for so that a board that rebooted (and lit nothing) gets
 * them all again at once.
 */
export class FrontPanelBoard {
  private readonly link: SerialLink;
  private readonly states = new Map<LedId, LedState>();
  private identity: BoardIdentity | null = null;
  private readonly buttonListeners = new Set<Listener<{ button: ButtonId; pressed: boolean; atMs: number }>>();
  private readonly edgeListeners = new Set<Listener<SpeakerEdge[]>>();
  private closed = false;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: BoardOptions) {
    this.link = new SerialLink({
      binding: o.binding, path: o.path, baudRate: o.baudRate, clock: o.clock,
      ackTimeoutMs: o.ackTimeoutMs ?? 150, attempts: o.attempts ?? 3,
      onMessage: (m) => this.fromBoard(m),
      onGone: (why) => {
        this.identity = null;
        this.notice('the front-panel board\'s serial port went away', { path: o.path, why });
      },
      ...(o.onTraffic && { onTraffic: o.onTraffic }),
    });
  }

  /** How tickets and logs name this device. */
  get device(): string {
    return `the front-panel board on ${this.o.path}`;
  }

  get counters(): LinkCounters {
    return this.link.counters;
  }

  get greeted(): BoardIdentity | null {
    return this.identity;
  }

  /** The LED state last acknowledged by the board (or asked for, if it has not answered yet). */
  lastState(led: LedId): LedState | undefined {
    return this.states.get(led);
  }

  onButton(l: Listener<{ button: ButtonId; pressed: boolean; atMs: number }>): () => void {
    this.buttonListeners.add(l);
    return () => this.buttonListeners.delete(l);
  }

  /** Speaker edges, timestamped on the board's clock (ms since it started), in the order they happened. */
  onSpeakerEdges(l: Listener<SpeakerEdge[]>): () => void {
    this.edgeListeners.add(l);
    return () => this.edgeListeners.delete(l);
  }

  setLed(led: LedId, state: LedState): Promise<void> {
    return this.exclusive(async () => {
      try {
        // A fresh session replays the LEDs set before; this one follows once, below.
        await this.session();
      } finally {
        // Kept even when the board is away, so that it shows this once it is back.
        this.states.set(led, state);
      }
      await this.expectOk({ type: 'setLed', led, state }, `${led} ${describeLedState(state)}`);
    });
  }

  /** Asks the board whether it is there; rejects DEVICE_SILENT or DEVICE_GONE when it is not. */
  ping(): Promise<void> {
    return this.exclusive(async () => {
      await this.session();
      await this.expectOk({ type: 'ping' }, 'ping');
    });
  }

  /**
   * One operation at a time: a greeting after a reboot must not interleave with the
   * agent's LED change (two opens of the port, or an LED replayed after its newer state).
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn);
    this.turn = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.link.close();
  }

  /** Opens the port and greets the board if either is needed, replaying every LED after a fresh greeting. */
  private async session(): Promise<void> {
    if (this.closed) throw new DriverError('DEVICE_GONE', `${cap(this.device)} was closed.`, { path: this.o.path });
    if (!this.link.isOpen) await this.link.open();
    if (this.identity) return;
    const reply = await this.link.request({ type: 'hello', major: PROTOCOL_MAJOR, minor: PROTOCOL_MINOR });
    if (reply.type !== 'helloReply') throw this.refused('hello', reply);
    if (reply.major !== PROTOCOL_MAJOR) {
      throw new DriverError('PROTOCOL_VERSION', `${cap(this.device)} speaks protocol ${reply.major}.${reply.minor}, but qkm speaks ${PROTOCOL_MAJOR}.x; update the board's firmware or qkm.`, {
        path: this.o.path, board: `${reply.major}.${reply.minor}`, firmware: reply.firmware,
      });
    }
    this.identity = { protocol: `${reply.major}.${reply.minor}`, firmware: reply.firmware, bootId: reply.bootId };
    for (const [led, state] of this.states) await this.expectOk({ type: 'setLed', led, state }, `${led} ${describeLedState(state)}`);
  }

  private async expectOk(m: Message, what: string): Promise<void> {
    let reply = await this.link.request(m);
    if (reply.type === 'ack' && reply.status === ACK.noSession) {
      // The board restarted and its Boot frame was lost: greet it again (which replays the LEDs) and retry once.
      this.identity = null;
      await this.session();
      reply = await this.link.request(m);
    }
    if (reply.type === 'ack' && reply.status === ACK.ok) return;
    if (reply.type === 'ack' && (reply.status === ACK.unknownLed || reply.status === ACK.badMode)) {
      throw new DriverError('UNSUPPORTED_STATE', `${cap(this.device)} cannot show ${what}.`, { path: this.o.path, status: reply.status });
    }
    throw this.refused(what, reply);
  }

  private refused(what: string, reply: Message): DriverError {
    return new DriverError('PARSE_FAILED', `${cap(this.device)} answered ${what} with ${reply.type}${reply.type === 'ack' ? ` status ${reply.status}` : ''}.`, { path: this.o.path });
  }

  private fromBoard(m: Message): void {
    switch (m.type) {
      case 'boot':
        // A rebooted board shows nothing: greet it and light the panel again now, not at the next change.
        this.identity = null;
        this.notice('the front-panel board restarted', { path: this.o.path, bootId: m.bootId });
        this.exclusive(() => this.session()).catch((e: unknown) => {
          if (!this.closed) this.notice('the front-panel board could not be set up again after it restarted', { path: this.o.path, error: isDriverError(e) ? e.message : String(e) });
        });
        return;
      case 'button':
        for (const l of this.buttonListeners) l({ button: m.button, pressed: m.pressed, atMs: m.atMs });
        return;
      case 'speaker':
        for (const l of this.edgeListeners) l(m.edges);
        return;
      default:
        return;
    }
  }

  private notice(what: string, detail: Record<string, unknown>): void {
    this.o.onNotice?.(what, detail);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
