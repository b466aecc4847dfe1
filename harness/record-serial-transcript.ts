/**
 * Records a transcript of qkm's driver talking to the simulated front-panel board over a
 * real pty (socat), both directions in hex, into firmware-fixtures/serial/:
 *
 *   npm run build && node dist/harness/record-serial-transcript.js firmware-fixtures/serial/session-115200.hex
 *
 * The session: handshake; every panel LED set; a lost acknowledgement and a corrupted one;
 * the power button pressed and released; a 1-1-3 beep on the speaker; the board rebooting
 * and being lit again. test/drivers/serial/transcript.test.ts replays it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { SystemClock } from '../drivers/clock.js';
import { FrontPanelBoard } from '../drivers/serial/board.js';
import { ptyPair, startSimBoard } from './serial-pty.js';

/** What the recorded host does: the LED states it sets, in order (the replay does the same). */
export const RECORDED_LEDS = [
  ['power', { state: 'on' }],
  ['hddActivity', { state: 'blink', periodMs: 250 }],
  ['serverError', { state: 'off' }],
  ['cdActivity', { state: 'off' }],
  ['bay0.activity', { state: 'blink', periodMs: 16_000 }],
  ['bay0.status', { state: 'off' }],
  ['bay1.activity', { state: 'flicker' }],
  ['bay1.status', { state: 'blink', periodMs: 1000 }],
] as const;
/** A 1-1-3 beep: 200 ms tones, 200 ms apart, 600 ms between groups (offsets in ms, tone on/off). */
export const RECORDED_BEEP = '0:1,200:0,800:1,1000:0,1600:1,1800:0,2000:1,2200:0,2400:1,2600:0';

async function main(out: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-record-serial-'));
  const pty = await ptyPair(dir);
  const sim = await startSimBoard(pty.board, { transcript: path.resolve(out) });
  const board = new FrontPanelBoard({ binding: SerialPort.binding, path: pty.host, baudRate: 115200, clock: new SystemClock(), ackTimeoutMs: 100 });
  const heard: string[] = [];
  board.onButton((b) => heard.push(`${b.button} ${b.pressed ? 'down' : 'up'}`));
  board.onSpeakerEdges((e) => heard.push(`${e.length} edges`));
  try {
    for (const [led, state] of RECORDED_LEDS.slice(0, 4)) await board.setLed(led, state);
    await sim.order('drop-replies 1');
    await board.setLed(RECORDED_LEDS[4][0], RECORDED_LEDS[4][1]);
    await sim.order('corrupt-replies 1');
    await board.setLed(RECORDED_LEDS[5][0], RECORDED_LEDS[5][1]);
    for (const [led, state] of RECORDED_LEDS.slice(6)) await board.setLed(led, state);
    await sim.order('press power');
    await sim.order('release power');
    await sim.order(`beep ${RECORDED_BEEP}`);
    for (let i = 0; i < 100 && heard.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await sim.order('boot');
    await sim.waitFor(() => sim.lines.filter((l) => 'led' in l).length === 2 * RECORDED_LEDS.length);
    await board.ping();
    process.stdout.write(`recorded ${out}: host heard ${heard.join(', ')}\n`);
  } finally {
    await board.close();
    await sim.stop();
    await pty.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: record-serial-transcript.js OUT.hex\n');
    process.exit(2);
  }
  main(out).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
