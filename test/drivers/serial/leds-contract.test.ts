import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { SystemClock } from '../../../drivers/clock.js';
import type { LedState } from '../../../drivers/leds/contract.js';
import { FrontPanelBoard } from '../../../drivers/serial/board.js';
import { SerialBoardLeds } from '../../../drivers/serial/leds.js';
import { ptyPair, startSimBoard } from '../../../harness/serial-pty.js';
import { needsTool } from '../../helpers/tools.js';
import { ledContract } from '../leds/contract.js';
import { mockBoard } from './mock-board.js';

const supported: LedState[] = [{ state: 'on' }, { state: 'off' }, { state: 'blink', periodMs: 16_000 }, { state: 'blink', periodMs: 250 }, { state: 'flicker' }];
const unsupported: LedState[] = [{ state: 'blink', periodMs: 100_000 }];

ledContract('serial board (binding-mock)', async () => {
  const m = mockBoard();
  const board = new FrontPanelBoard({ binding: m.binding, path: m.path, baudRate: 115200, clock: new SystemClock(), ackTimeoutMs: 40 });
  return { backend: new SerialBoardLeds(board), supported, unsupported, cleanup: () => board.close() };
});

if (!needsTool('socat', 'socat', 'test/drivers/serial/leds-contract.test.ts').skip) {
  ledContract('serial board (native binding, simulated board on a socat pty)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-serial-contract-'));
    const pty = await ptyPair(dir);
    const sim = await startSimBoard(pty.board);
    const board = new FrontPanelBoard({ binding: SerialPort.binding, path: pty.host, baudRate: 115200, clock: new SystemClock() });
    return {
      backend: new SerialBoardLeds(board), supported, unsupported,
      cleanup: async () => {
        await board.close();
        await sim.stop();
        await pty.kill();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
