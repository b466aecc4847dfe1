import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../drivers/clock.js';
import { FRONT_PANEL_LEDS, type LedState } from '../../../drivers/leds/contract.js';
import { FrontPanelBoard } from '../../../drivers/serial/board.js';
import { SerialBoardLeds } from '../../../drivers/serial/leds.js';
import { ptyPair, type PtyPair, type SimBoardProcess, startSimBoard } from '../../../harness/serial-pty.js';
import { needsTool } from '../../helpers/tools.js';

const socat = needsTool('socat', 'socat', 'test/drivers/serial/pty.test.ts');

let dir: string;
let pty: PtyPair | undefined;
let sim: SimBoardProcess | undefined;
let board: FrontPanelBoard | undefined;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-serial-'));
});
afterEach(async () => {
  await board?.close();
  await sim?.stop();
  await pty?.kill();
  board = sim = pty = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** The native binding on the host end of a fresh pty pair, the simulated board on the other. */
async function line(baudRate = 115200) {
  pty = await ptyPair(dir);
  sim = await startSimBoard(pty.board, { baudRate });
  // A generous acknowledgement time: on a loaded machine the board's process may not run for
  // a few hundred ms, and three missed acknowledgements would make a healthy line look silent.
  board = new FrontPanelBoard({ binding: SerialPort.binding, path: pty.host, baudRate, clock: new SystemClock(), ackTimeoutMs: 1000 });
  return { pty, sim, board, leds: new SerialBoardLeds(board) };
}

const STATES: LedState[] = [{ state: 'on' }, { state: 'blink', periodMs: 16_000 }, { state: 'flicker' }, { state: 'blink', periodMs: 1000 }, { state: 'off' }];

describe('opening a port that is not a serial line', () => {
  it('says why in one sentence: missing, or not a serial device', async () => {
    const open = (p: string) => new FrontPanelBoard({ binding: SerialPort.binding, path: p, baudRate: 115200, clock: new SystemClock() }).ping().catch((e: unknown) => e);
    expect(await open('/nonexistent/ttyS9')).toMatchObject({ code: 'DEVICE_GONE', message: 'The serial port /nonexistent/ttyS9 cannot be opened: it does not exist.' });
    expect(await open('/dev/null')).toMatchObject({ code: 'DEVICE_GONE', message: 'The serial port /dev/null cannot be opened: it is not a serial device.' });
  });
});

describe.skipIf(socat.skip)('the front-panel board on a real pty (socat), serialport\'s native binding', () => {
  for (const baud of [9600, 115200]) {
    it(`at ${baud} baud: every LED of the panel in every state reaches the board, as the board reports it`, async () => {
      const { sim, leds } = await line(baud);
      const sent: { led: string; state: LedState }[] = [];
      for (const [i, led] of FRONT_PANEL_LEDS.entries()) {
        const state = STATES[i % STATES.length]!;
        await leds.set(led, state);
        sent.push({ led, state });
      }
      await sim.waitFor(() => sim.lines.filter((l) => 'led' in l).length === sent.length);
      expect(sim.lines.filter((l) => 'led' in l)).toEqual(sent);
    });
  }

  it('noise, a bad checksum and lost acknowledgements on the line: every LED still set exactly once', async () => {
    const { sim, leds, board } = await line();
    await leds.set('power', { state: 'on' });
    await sim.order('garbage 300');
    await sim.order('corrupt-replies 1');
    await leds.set('serverError', { state: 'on' });
    await sim.order('drop-replies 2');
    await leds.set('cdActivity', { state: 'flicker' });
    expect(sim.lines.filter((l) => 'led' in l).map((l) => l.led)).toEqual(['power', 'serverError', 'cdActivity']);
    // At least the three forced ones; a loaded machine may add a late acknowledgement's resend,
    // which the board's sequence numbers turn into no second setting (checked above).
    expect(board.counters.retransmissions).toBeGreaterThanOrEqual(3);
    expect(board.counters.faults['bad-checksum']).toBeGreaterThanOrEqual(1);
  });

  it('a board that reboots is lit again at once with what it showed', async () => {
    const { sim, leds } = await line();
    await leds.set('power', { state: 'on' });
    await leds.set('bay0.status', { state: 'blink', periodMs: 1000 });
    await sim.order('boot');
    await sim.waitFor(() => sim.lines.filter((l) => 'led' in l).length === 4);
    expect(sim.lines.filter((l) => 'led' in l).slice(2)).toEqual([
      { led: 'power', state: { state: 'on' } },
      { led: 'bay0.status', state: { state: 'blink', periodMs: 1000 } },
    ]);
  });

  it('the port disappears mid-write (socat killed): one sentence naming the port, and the session comes back when the port does', async () => {
    const first = await line();
    await first.leds.set('power', { state: 'on' });
    // Keep writing while the line goes away under the writes.
    const writes = (async () => {
      for (let i = 0; ; i++) await first.leds.set('hddActivity', i % 2 ? { state: 'on' } : { state: 'off' });
    })().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await first.pty.kill();
    const err = (await writes) as { code: string; message: string };
    expect(['DEVICE_GONE', 'DEVICE_SILENT']).toContain(err.code);
    expect(err.message).toContain(first.pty.host);
    expect(err.message.split(/\.\s/)).toHaveLength(1);
    await sim!.stop();
    // The port is gone: the next call says so rather than hanging.
    const again = await first.leds.set('power', { state: 'on' }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'DEVICE_GONE' });
    expect((again as Error).message).toBe(`The serial port ${first.pty.host} cannot be opened: it does not exist.`);
    // The adapter is plugged in again (a new pty under the same name): the same driver carries on and relights the board.
    pty = await ptyPair(dir);
    sim = await startSimBoard(pty.board);
    await first.leds.set('serverError', { state: 'on' });
    // The new board shows what the driver set before the port went (power) and after it came
    // back (server error). The order of its lines depends on when the board's boot reached the
    // driver, which relights everything it shows: only each LED's last state is asserted.
    const lastStates = () => new Map(sim!.lines.filter((l) => 'led' in l).map((l) => [l.led, l.state]));
    await sim.waitFor(() => ['power', 'serverError'].every((led) => (lastStates().get(led) as LedState | undefined)?.state === 'on'));
    expect(lastStates().get('power')).toEqual({ state: 'on' });
    expect(lastStates().get('serverError')).toEqual({ state: 'on' });
  });
});
