import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, SystemClock } from '../../../drivers/clock.js';
import { FrontPanelBoard } from '../../../drivers/serial/board.js';
import { crc16 } from '../../../drivers/serial/crc16.js';
import { encodeFrame, FrameReader, MAX_BODY } from '../../../drivers/serial/frame.js';
import { SerialBoardLeds } from '../../../drivers/serial/leds.js';
import { gatherSpeakerPatterns } from '../../../drivers/serial/speaker-bursts.js';
import { parseFrame } from '../../../drivers/serial/parser.js';
import { writeMessage } from '../../../drivers/serial/writer.js';
import type { SpeakerEdge } from '../../../drivers/serial/messages.js';
import { mockBoard } from './mock-board.js';

const boards: FrontPanelBoard[] = [];
afterEach(async () => {
  for (const b of boards.splice(0)) await b.close();
});

function host(m: ReturnType<typeof mockBoard>, o: { attempts?: number } = {}) {
  const b = new FrontPanelBoard({ binding: m.binding, path: m.path, baudRate: 115200, clock: new SystemClock(), ackTimeoutMs: 40, ...o });
  boards.push(b);
  return b;
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('frames', () => {
  it('CRC-16/CCITT-FALSE of "123456789" is 0x29B1 (its published check value)', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x29b1);
  });

  it('every message survives writer → frame → parser, including bytes that need stuffing', () => {
    const edges: SpeakerEdge[] = [{ atMs: 0xc0dbc0db, on: true }, { atMs: 5, on: false }];
    const messages = [
      { type: 'hello', major: 1, minor: 0 },
      { type: 'helloReply', major: 1, minor: 0, bootId: 0xc0db, firmware: 'panel 2.3' },
      { type: 'setLed', led: 'bay1.status', state: { state: 'blink', periodMs: 0xc0 } },
      { type: 'setLed', led: 'power', state: { state: 'flicker' } },
      { type: 'ping' },
      { type: 'ack', status: 3 },
      { type: 'button', button: 'cdEject', pressed: true, atMs: 123456 },
      { type: 'speaker', edges },
      { type: 'boot', major: 1, minor: 0, bootId: 7 },
    ] as const;
    const reader = new FrameReader();
    for (const [i, m] of messages.entries()) {
      const frames = reader.push(writeMessage(m, 0xc0 + i));
      expect(frames).toHaveLength(1);
      expect(frames[0]!.seq).toBe((0xc0 + i) & 0xff);
      expect(parseFrame(frames[0]!)).toEqual(m);
    }
  });

  it('noise, a flipped bit and an endless run of bytes cost only themselves: the next frame is read', () => {
    const faults: string[] = [];
    const reader = new FrameReader((f) => faults.push(f));
    const good = encodeFrame({ type: 0x03, seq: 9, payload: Buffer.alloc(0) });
    const flipped = Buffer.from(good);
    flipped[3] = flipped[3]! ^ 0x10;
    const noise = Buffer.from('garbage, not a frame');
    const endless = Buffer.alloc(100_000, 0x41);
    const frames = reader.push(Buffer.concat([noise, good, flipped, endless, good, Buffer.from([0xdb, 0x01]), good]));
    expect(frames.map((f) => f.seq)).toEqual([9, 9, 9]);
    expect(faults).toEqual(['bad-checksum', 'bad-checksum', 'too-long', 'bad-escape']);
    expect(MAX_BODY).toBeLessThan(100);
  });
});

describe('the host and the board on binding-mock', () => {
  it('greets the board, checks its version, and lights the LEDs it is asked to', async () => {
    const m = mockBoard();
    const leds = new SerialBoardLeds(host(m));
    await leds.set('power', { state: 'on' });
    await leds.set('bay0.activity', { state: 'blink', periodMs: 16_000 });
    expect(Object.fromEntries(m.firmware.leds)).toEqual({ power: { state: 'on' }, 'bay0.activity': { state: 'blink', periodMs: 16_000 } });
    expect(await leds.get('bay0.activity')).toEqual({ state: 'blink', periodMs: 16_000 });
    expect(leds.deviceName).toBe(`the front-panel board on ${m.path}`);
  });

  it('a lost acknowledgement: the host resends under the same number, and the board sets the LED once', async () => {
    const m = mockBoard();
    const b = host(m);
    await b.ping();
    m.firmware.faults.dropReplies = 2;
    await b.setLed('serverError', { state: 'on' });
    expect(m.firmware.shown).toEqual([{ led: 'serverError', state: { state: 'on' } }]);
    expect(b.counters.retransmissions).toBe(2);
  });

  it('a bad checksum and line noise: the reply is dropped, the resend answered, the fault counted', async () => {
    const m = mockBoard();
    const b = host(m);
    await b.ping();
    m.firmware.faults.corruptReplies = 1;
    m.inject(Buffer.from([0x00, 0x41, 0xdb, 0x99, 0xff]));
    await b.setLed('cdActivity', { state: 'flicker' });
    expect(m.firmware.leds.get('cdActivity')).toEqual({ state: 'flicker' });
    expect(b.counters.faults['bad-checksum']).toBe(1);
    expect(b.counters.retransmissions).toBe(1);
  });

  it('a silent board: DEVICE_SILENT in one sentence naming the port, after the attempts run out', async () => {
    const m = mockBoard();
    const b = host(m, { attempts: 3 });
    await b.ping();
    m.firmware.faults.silent = true;
    const err = await b.setLed('power', { state: 'off' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DEVICE_SILENT', message: `The front-panel board on ${m.path} did not answer 3 times in a row.` });
    m.firmware.faults.silent = false;
    await b.setLed('power', { state: 'off' }); // it answers again: the same session goes on
  });

  it('a board that reboots gets every LED again at once, without waiting for a change', async () => {
    const m = mockBoard();
    const b = host(m);
    await b.setLed('power', { state: 'on' });
    await b.setLed('bay1.status', { state: 'blink', periodMs: 1000 });
    const before = b.greeted!.bootId;
    m.firmware.boot();
    expect(m.firmware.leds.size).toBe(0);
    await until(() => m.firmware.leds.size === 2);
    expect(Object.fromEntries(m.firmware.leds)).toEqual({ power: { state: 'on' }, 'bay1.status': { state: 'blink', periodMs: 1000 } });
    expect(b.greeted!.bootId).not.toBe(before);
  });

  it('a reboot whose Boot frame was lost: the board says "no session", the host greets it again and retries', async () => {
    const m = mockBoard();
    const b = host(m);
    await b.setLed('power', { state: 'on' });
    m.firmware.faults.silent = true; // the Boot frame goes nowhere
    m.firmware.boot();
    m.firmware.stop();
    m.firmware.faults.silent = false;
    await b.setLed('hddActivity', { state: 'blink', periodMs: 250 });
    expect(Object.fromEntries(m.firmware.leds)).toEqual({ power: { state: 'on' }, hddActivity: { state: 'blink', periodMs: 250 } });
  });

  it('a board of another protocol major version is refused with one sentence', async () => {
    const m = mockBoard();
    m.firmware.faults.major = 2;
    const err = await host(m).ping().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'PROTOCOL_VERSION',
      message: `The front-panel board on ${m.path} speaks protocol 2.0, but qkm speaks 1.x; update the board's firmware or qkm.`,
    });
  });

  it('buttons and speaker edges arrive once each, in order, even when the host\'s acknowledgement is lost', async () => {
    const m = mockBoard();
    const b = host(m);
    const buttons: string[] = [];
    const edges: SpeakerEdge[] = [];
    b.onButton((e) => buttons.push(`${e.button}:${e.pressed ? 'down' : 'up'}`));
    b.onSpeakerEdges((e) => edges.push(...e));
    await b.ping();
    m.firmware.press('power', true);
    m.firmware.press('power', false);
    // 1-1-3: fifteen edges, so two Speaker frames.
    const pattern = [0, 1, 2, 3, 3, 3].flatMap((_, i) => [{ atMs: i * 400, on: true }, { atMs: i * 400 + 200, on: false }]);
    const extra = [{ atMs: 3000, on: true }, { atMs: 3200, on: false }, { atMs: 3400, on: true }];
    // The board resends what the host never acknowledged; the host must deliver it once.
    const port = m.port()!;
    const write = port.write.bind(port);
    let swallowed = 0;
    port.write = async (bytes: Buffer) => {
      if (swallowed++ === 0) return; // the host's first ack is lost on the line
      return write(bytes);
    };
    m.firmware.speaker([...pattern, ...extra]);
    await until(() => edges.length === 15 && buttons.length === 2);
    expect(buttons).toEqual(['power:down', 'power:up']);
    const offsets = edges.map((e) => e.atMs - edges[0]!.atMs);
    expect(offsets).toEqual([...pattern, ...extra].map((e) => e.atMs));
    expect(edges.map((e) => e.on)).toEqual([...pattern, ...extra].map((e) => e.on));
  });

  it('a POST pattern arrives as one list of edges once the speaker is quiet, as the beeps decoder takes it', async () => {
    const m = mockBoard();
    const b = host(m);
    await b.ping();
    const clock = new ManualClock();
    const patterns: SpeakerEdge[][] = [];
    const stop = gatherSpeakerPatterns((l) => b.onSpeakerEdges(l), clock, (e) => patterns.push(e), 3_000);
    const sixBeeps = [0, 1, 2, 3, 4, 5].flatMap((i) => [{ atMs: i * 400, on: true }, { atMs: i * 400 + 200, on: false }]);
    m.firmware.speaker([...sixBeeps, { atMs: 2600, on: true }, { atMs: 2850, on: false }]); // 14 edges: two frames
    await until(() => b.counters.framesIn >= 4); // hello reply, ping ack, two Speaker frames
    clock.advance(2_999);
    expect(patterns).toEqual([]);
    clock.advance(1);
    expect(patterns).toHaveLength(1);
    expect(patterns[0]!.map((e) => e.atMs - patterns[0]![0]!.atMs)).toEqual([...sixBeeps.map((e) => e.atMs), 2600, 2850]);
    stop();
    expect(clock.pendingCount).toBe(0);
  });
});
