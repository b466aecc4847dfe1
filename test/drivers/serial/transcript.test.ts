import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../drivers/clock.js';
import { FrontPanelBoard } from '../../../drivers/serial/board.js';
import { FrameReader } from '../../../drivers/serial/frame.js';
import type { SpeakerEdge } from '../../../drivers/serial/messages.js';
import { parseFrame } from '../../../drivers/serial/parser.js';
import type { SerialBinding } from '../../../drivers/serial/transport.js';
import { RECORDED_BEEP, RECORDED_LEDS } from '../../../harness/record-serial-transcript.js';
import { fixturePath } from '../helpers.js';
import { MockBinding } from './mock-board.js';

interface Line {
  who: 'host' | 'board';
  bytes: Buffer;
}

function transcript(name: string): Line[] {
  return readFileSync(fixturePath('serial', name), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [, who, ...hex] = l.split(' ');
      return { who: who as Line['who'], bytes: Buffer.from(hex.join(''), 'hex') };
    });
}

/**
 * A board that is the recording: each write of the host must be the next host frame of the
 * transcript, and is answered with the board frames recorded after it (none, where the
 * recording lost an answer; a corrupted one, where it corrupted it).
 */
function scriptedBoard(lines: Line[]) {
  const path = '/dev/qkm-transcript';
  MockBinding.createPort(path, { echo: false, record: true });
  let next = 0;
  const mismatches: string[] = [];
  const binding: SerialBinding = {
    list: () => MockBinding.list(),
    async open(options) {
      const port = await MockBinding.open(options);
      const answer = () => {
        while (lines[next]?.who === 'board') port.emitData(lines[next++]!.bytes);
      };
      const write = port.write.bind(port);
      port.write = async (bytes: Buffer) => {
        await write(bytes);
        // serialport's stream may join frames written together into one write: compare frame by frame (END … END).
        for (const frame of bytes.toString('hex').match(/c0(?:(?!c0)..)*c0/g) ?? []) {
          const expected = lines[next];
          if (expected?.who !== 'host' || expected.bytes.toString('hex') !== frame) {
            mismatches.push(`frame ${next}: host wrote ${frame}, the recording has ${expected?.who} ${expected?.bytes.toString('hex')}`);
            return;
          }
          next++;
        }
        setImmediate(answer);
      };
      return port;
    },
  };
  return { path, binding, mismatches, left: () => lines.length - next };
}

let board: FrontPanelBoard | undefined;
afterEach(async () => {
  await board?.close();
  board = undefined;
});

describe('the recorded session (firmware-fixtures/serial/session-115200.hex)', () => {
  const lines = transcript('session-115200.hex');

  it('every recorded frame is a frame of the protocol, but the one the board corrupted on purpose', () => {
    const faults: string[] = [];
    const reader = new FrameReader((f) => faults.push(f));
    const types = lines.flatMap((l) => reader.push(l.bytes).map((f) => `${l.who}:${parseFrame(f).type}`));
    expect(faults).toEqual(['bad-checksum']);
    expect(types.length).toBe(lines.length - 1);
    expect(types.slice(0, 2)).toEqual(['host:hello', 'board:helloReply']);
    expect(types).toContain('board:boot');
    expect(types.filter((t) => t === 'host:setLed').length).toBe(2 * RECORDED_LEDS.length + 2); // each LED twice (after the reboot), two resends
  });

  it('replayed against qkm\'s driver: it writes the recorded bytes, exactly, and hears the buttons, the beep and the reboot', async () => {
    const script = scriptedBoard(lines);
    board = new FrontPanelBoard({ binding: script.binding, path: script.path, baudRate: 115200, clock: new SystemClock(), ackTimeoutMs: 30 });
    const heard: string[] = [];
    const edges: SpeakerEdge[] = [];
    board.onButton((b) => heard.push(`${b.button} ${b.pressed ? 'down' : 'up'}`));
    board.onSpeakerEdges((e) => edges.push(...e));
    for (const [led, state] of RECORDED_LEDS) await board.setLed(led, state);
    const firstBoot = board.greeted!.bootId;
    // The board's turn: buttons, the beep, its reboot, and the host lighting it again, up to the last ping.
    for (let i = 0; i < 500 && script.left() > 2 && script.mismatches.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await board.ping();
    expect(script.mismatches).toEqual([]);
    expect(script.left()).toBe(0);
    expect(board.greeted!.bootId).not.toBe(firstBoot);
    expect(heard).toEqual(['power down', 'power up']);
    const beep = RECORDED_BEEP.split(',').map((e) => e.split(':').map(Number) as [number, number]);
    expect(edges.map((e) => [e.atMs - edges[0]!.atMs, e.on ? 1 : 0])).toEqual(beep);
  });
});
