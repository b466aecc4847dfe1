import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
let daemons: Awaited<ReturnType<typeof startQkmd>>[] = [];
beforeEach(() => {
  dir = tempDir('qkm-hw-usb-');
});
afterEach(() => {
  for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  daemons = [];
  removeDir(dir);
});

const data = () => path.join(dir, 'data');
const run = (...args: string[]) => qkmcmds(['--data-dir', data(), ...args]);
interface Usb { devices: { busPath: string; kind: string; role: string | null; node: string | null; vendorId: string }[]; unavailable: string | null }
const usb = (): Usb => {
  const r = run('hw', 'status', '--json');
  expect(r.stderr).toBe('');
  return (JSON.parse(r.stdout) as { usb: Usb }).usb;
};

describe('USB devices of the simulated appliance, through qkmcmds against a running qkmd', () => {
  it('plug a CD/DVD drive and a serial adapter: hw status shows an update source and a console line; unplugged, each goes away', async () => {
    daemons.push(await startQkmd(['--data-dir', data()]));
    expect(usb()).toEqual({ devices: [], unavailable: null });
    expect(run('hw', 'status').stdout).toMatch(/USB +nothing plugged in/);

    const cd = run('sim', 'plug-usb', 'cd-dvd');
    expect(cd.stderr).toBe('');
    expect(cd.stdout).toBe('Plugged in: CD/DVD drive ONDA USB SCSI CD-ROM (19d2:2000) at port 1-1, /dev/sr1: an update source.\n');
    expect(run('sim', 'plug-usb', 'usb-serial').stdout).toMatch(/^Plugged in: USB-serial adapter FTDI .* at port 1-2, \/dev\/ttyUSB0: a console line\.\n$/);

    expect(usb().devices.map((d) => [d.busPath, d.kind, d.role, d.node])).toEqual([
      ['1-1', 'cd-dvd', 'update-source', '/dev/sr1'],
      ['1-2', 'usb-serial', 'console', '/dev/ttyUSB0'],
    ]);
    const panel = run('hw', 'status').stdout;
    // A CD/DVD drive says what a CD drive says: here, that it holds no disc.
    expect(panel).toMatch(/USB +CD\/DVD drive .* at port 1-1, \/dev\/sr1: an update source; no disc\n +USB-serial adapter .* at port 1-2, \/dev\/ttyUSB0: a console line\n/);

    // Every port is taken; a third device is one sentence and changes nothing.
    const full = run('sim', 'plug-usb', 'usb-serial');
    expect(full.code).toBe(1);
    expect(full.stderr).toBe('qkmcmds: Every USB port (1-1, 1-2) is in use; unplug a device first.\n');

    expect(run('sim', 'unplug-usb', '1-1').stdout).toMatch(/^Unplugged: CD\/DVD drive .* at port 1-1, \/dev\/sr1: an update source\.\n$/);
    expect(usb().devices.map((d) => d.busPath)).toEqual(['1-2']);
    const again = run('sim', 'unplug-usb', '1-1');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('qkmcmds: Nothing is plugged into USB port 1-1.\n');

    const log = readFileSync(path.join(data(), 'logs', 'qkmd.log'), 'utf8');
    expect(log).toMatch(/USB device plugged in: CD\/DVD drive .*an update source/);
    expect(log).toMatch(/USB device unplugged: CD\/DVD drive/);
  });

  it('a device the simulator does not have is one sentence, before qkmd is asked', () => {
    const r = run('sim', 'plug-usb', 'printer');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('qkmcmds: "printer" is not a device the simulator can plug in; give cd-dvd or usb-serial.\n');
  });
});
