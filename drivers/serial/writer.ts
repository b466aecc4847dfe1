import { encodeFrame, MAX_PAYLOAD } from './frame.js';
import { BOARD_LEDS, BUTTONS, LED_MODE, MAX_EDGES_PER_FRAME, MSG, type Message } from './messages.js';

function payloadOf(m: Message): Buffer {
  switch (m.type) {
    case 'hello':
      return Buffer.from([m.major, m.minor]);
    case 'helloReply': {
      const fw = Buffer.from(m.firmware, 'ascii').subarray(0, MAX_PAYLOAD - 4);
      const head = Buffer.from([m.major, m.minor, 0, 0]);
      head.writeUInt16BE(m.bootId & 0xffff, 2);
      return Buffer.concat([head, fw]);
    }
    case 'setLed': {
      const p = Buffer.alloc(4);
      const led = BOARD_LEDS.indexOf(m.led);
      if (led < 0) throw new RangeError(`the board has no LED "${m.led}"`);
      p[0] = led;
      p[1] = LED_MODE[m.state.state];
      // Blink periods beyond 65 s are longer than any the manual uses; the board's field is 16 bits.
      p.writeUInt16BE(m.state.state === 'blink' ? Math.min(0xffff, Math.max(1, Math.round(m.state.periodMs))) : 0, 2);
      return p;
    }
    case 'ping':
      return Buffer.alloc(0);
    case 'ack':
      return Buffer.from([m.status]);
    case 'button': {
      const p = Buffer.alloc(6);
      p[0] = BUTTONS.indexOf(m.button);
      p[1] = m.pressed ? 1 : 0;
      p.writeUInt32BE(m.atMs >>> 0, 2);
      return p;
    }
    case 'speaker': {
      if (m.edges.length > MAX_EDGES_PER_FRAME) throw new RangeError(`a Speaker frame carries at most ${MAX_EDGES_PER_FRAME} edges`);
      const p = Buffer.alloc(1 + 5 * m.edges.length);
      p[0] = m.edges.length;
      m.edges.forEach((e, i) => {
        p.writeUInt32BE(e.atMs >>> 0, 1 + 5 * i);
        p[5 + 5 * i] = e.on ? 1 : 0;
      });
      return p;
    }
    case 'boot': {
      const p = Buffer.from([m.major, m.minor, 0, 0]);
      p.writeUInt16BE(m.bootId & 0xffff, 2);
      return p;
    }
  }
}

/** The wire bytes of one message under sequence number `seq`. */
export function writeMessage(m: Message, seq: number): Buffer {
  return encodeFrame({ type: MSG[m.type], seq, payload: payloadOf(m) });
}
