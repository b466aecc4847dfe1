import type { Frame } from './frame.js';
import { ACK, type AckStatus, BOARD_LEDS, BUTTONS, LED_MODE, MSG, type Message, type SpeakerEdge } from './messages.js';

/** A frame whose CRC was good but whose content the protocol does not know. */
export interface Unknown {
  type: 'unknown';
  reason: string;
}

const TYPES = new Map<number, Message['type']>(Object.entries(MSG).map(([name, code]) => [code, name as Message['type']]));
const ACKS = new Set<number>(Object.values(ACK));

/** Turns a checked frame into a message, or says why it is none (a newer board's message, a bad field). */
export function parseFrame(f: Frame): Message | Unknown {
  const type = TYPES.get(f.type);
  const p = f.payload;
  const bad = (reason: string): Unknown => ({ type: 'unknown', reason });
  const need = (n: number) => p.length >= n;
  switch (type) {
    case 'hello':
      return need(2) ? { type, major: p[0]!, minor: p[1]! } : bad('short Hello');
    case 'helloReply':
      return need(4) ? { type, major: p[0]!, minor: p[1]!, bootId: p.readUInt16BE(2), firmware: p.subarray(4).toString('ascii') } : bad('short Hello reply');
    case 'setLed': {
      if (!need(4)) return bad('short Set LED');
      const led = BOARD_LEDS[p[0]!];
      if (!led) return bad(`no LED number ${p[0]}`);
      const period = p.readUInt16BE(2);
      switch (p[1]) {
        case LED_MODE.off: return { type, led, state: { state: 'off' } };
        case LED_MODE.on: return { type, led, state: { state: 'on' } };
        case LED_MODE.blink: return period > 0 ? { type, led, state: { state: 'blink', periodMs: period } } : bad('blink without a period');
        case LED_MODE.flicker: return { type, led, state: { state: 'flicker' } };
        default: return bad(`no LED mode ${p[1]}`);
      }
    }
    case 'ping':
      return { type };
    case 'ack':
      return need(1) && ACKS.has(p[0]!) ? { type, status: p[0] as AckStatus } : bad('bad acknowledgement status');
    case 'button': {
      const button = BUTTONS[p[0] ?? 0xff];
      return need(6) && button ? { type, button, pressed: p[1] === 1, atMs: p.readUInt32BE(2) } : bad('bad Button');
    }
    case 'speaker': {
      const n = p[0] ?? 0;
      if (p.length !== 1 + 5 * n) return bad('Speaker length does not match its edge count');
      const edges: SpeakerEdge[] = [];
      for (let i = 0; i < n; i++) edges.push({ atMs: p.readUInt32BE(1 + 5 * i), on: p[5 + 5 * i] === 1 });
      return { type, edges };
    }
    case 'boot':
      return need(4) ? { type, major: p[0]!, minor: p[1]!, bootId: p.readUInt16BE(2) } : bad('short Boot');
    default:
      return bad(`no message type 0x${f.type.toString(16).padStart(2, '0')}`);
  }
}
