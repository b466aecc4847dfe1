import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { listSerialPorts } from '../../../drivers/serial/list-ports.js';
import { mockBoard } from './mock-board.js';

const savedPath = process.env.PATH;
let empty: string | undefined;
afterEach(() => {
  process.env.PATH = savedPath;
  if (empty) rmSync(empty, { recursive: true, force: true });
  empty = undefined;
});

describe('listing serial ports', () => {
  it('without udevadm (serialport\'s native binding spawns it): one sentence saying so and what to do, not a crash', async () => {
    empty = mkdtempSync(path.join(os.tmpdir(), 'qkm-no-udevadm-'));
    process.env.PATH = empty; // a machine where udevadm is not installed, whatever this one has
    const err = await listSerialPorts(SerialPort.binding).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'DRIVER_UNAVAILABLE',
      message: 'Serial ports cannot be listed on this machine because udevadm (package udev) is not installed; name the port in the configuration instead.',
    });
  });

  it('lists the ports a binding knows', async () => {
    const m = mockBoard();
    expect(await listSerialPorts(m.binding)).toContain(m.path);
  });
});
