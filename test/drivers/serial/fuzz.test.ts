import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/clock.js';
import { BoardFirmware } from '../../../drivers/serial/firmware.js';
import { FrameReader } from '../../../drivers/serial/frame.js';
import { BOARD_LEDS, type Message } from '../../../drivers/serial/messages.js';
import { parseFrame } from '../../../drivers/serial/parser.js';
import { writeMessage } from '../../../drivers/serial/writer.js';

/** npm test runs a slice; scripts/stress.sh runs 1,000,000 (QKM_SERIAL_FUZZ). */
const CASES = Number(process.env.QKM_SERIAL_FUZZ ?? 20_000);

function randomMessage(): Message {
  switch (randomInt(5)) {
    case 0: return { type: 'setLed', led: BOARD_LEDS[randomInt(BOARD_LEDS.length)]!, state: { state: 'blink', periodMs: 1 + randomInt(0xffff) } };
    case 1: return { type: 'speaker', edges: Array.from({ length: randomInt(13) }, () => ({ atMs: randomInt(2 ** 32 - 1), on: randomInt(2) === 1 })) };
    case 2: return { type: 'helloReply', major: randomInt(256), minor: randomInt(256), bootId: randomInt(65536), firmware: 'fw' };
    case 3: return { type: 'button', button: 'reset', pressed: true, atMs: randomInt(2 ** 32 - 1) };
    default: return { type: 'ack', status: 0 };
  }
}

function mutate(bytes: Buffer): Buffer {
  const b = Buffer.from(bytes);
  switch (randomInt(4)) {
    case 0: b[randomInt(b.length)]! ^= 1 << randomInt(8); return b;
    case 1: return b.subarray(0, randomInt(b.length));
    case 2: return Buffer.concat([b.subarray(0, 1 + randomInt(b.length - 1)), randomBytes(1 + randomInt(8)), b.subarray(1)]);
    default: return randomBytes(randomInt(200));
  }
}

describe(`the frame reader, parser and simulated firmware on ${CASES} random and mutated inputs`, () => {
  it('never throw, keep no more than a frame, and read every intact frame that follows the noise', () => {
    const reader = new FrameReader();
    const firmware = new BoardFirmware({ clock: new ManualClock(), output: () => {} });
    let lost = 0;
    for (let i = 0; i < CASES; i++) {
      const message = randomMessage();
      const seq = randomInt(256);
      const good = writeMessage(message, seq);
      const stream = Buffer.concat([mutate(good), good]);
      let last: unknown = null;
      // Random chunking, as a serial read returns whatever has arrived.
      for (let at = 0; at < stream.length; ) {
        const chunk = stream.subarray(at, at + 1 + randomInt(32));
        for (const f of reader.push(chunk)) last = { seq: f.seq, m: parseFrame(f) };
        firmware.receive(chunk);
        at += chunk.length;
      }
      if (JSON.stringify(last) !== JSON.stringify({ seq, m: message })) lost++;
    }
    expect(lost).toBe(0);
  });
});
