import type { LedId, LedState } from '../leds/contract.js';

/**
 * The board's messages (PROTOCOL.md, "Messages"): the vocabulary both ends share. The
 * parser turns frames into these, the writer turns these into frames.
 */
export const PROTOCOL_MAJOR = 1;
export const PROTOCOL_MINOR = 0;

export const MSG = {
  hello: 0x01,
  setLed: 0x02,
  ping: 0x03,
  ack: 0x80,
  helloReply: 0x81,
  button: 0x10,
  speaker: 0x11,
  boot: 0x12,
} as const;

/** An acknowledgement's status byte. */
export const ACK = {
  ok: 0,
  unknownLed: 1,
  badMode: 2,
  /** The board has not been greeted since it started: the host must send Hello first. */
  noSession: 3,
  badMessage: 4,
} as const;
export type AckStatus = (typeof ACK)[keyof typeof ACK];

/** The panel's LEDs by the number the board gives each (its wiring order). */
export const BOARD_LEDS: readonly LedId[] = [
  'power', 'hddActivity', 'serverError', 'cdActivity', 'bay0.activity', 'bay0.status', 'bay1.activity', 'bay1.status',
];

export const LED_MODE = { off: 0, on: 1, blink: 2, flicker: 3 } as const;

export const BUTTONS = ['power', 'reset', 'cdEject'] as const;
export type ButtonId = (typeof BUTTONS)[number];

/** One change of the speaker line, on the board's clock (ms since it started). */
export interface SpeakerEdge {
  atMs: number;
  on: boolean;
}
/** Edges per Speaker frame: 5 bytes each within the 64-byte payload, after the count. */
export const MAX_EDGES_PER_FRAME = 12;

export type Message =
  | { type: 'hello'; major: number; minor: number }
  | { type: 'helloReply'; major: number; minor: number; bootId: number; firmware: string }
  | { type: 'setLed'; led: LedId; state: LedState }
  | { type: 'ping' }
  | { type: 'ack'; status: AckStatus }
  | { type: 'button'; button: ButtonId; pressed: boolean; atMs: number }
  | { type: 'speaker'; edges: SpeakerEdge[] }
  | { type: 'boot'; major: number; minor: number; bootId: number };

/** Messages that open an exchange (and are acknowledged); replies carry the opener's sequence number. */
export function isReply(m: Message): boolean {
  return m.type === 'ack' || m.type === 'helloReply';
}
