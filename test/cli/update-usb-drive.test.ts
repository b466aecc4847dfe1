import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlRequest } from '../../src/control/client.js';
import { qkmcmds, qkmcmdsInteractive, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { needsTool } from '../helpers/tools.js';
import { BUILD_UPDATE_ISO, TEST_UPDATE_KEY_FILE } from '../helpers/update.js';
import { REPO } from '../helpers/worker.js';

const xorriso = needsTool('xorriso', 'xorriso', 'update-usb-drive.test');
const installed = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const newer = `${Number(installed.split('.')[0]) + 1}.0.0`;
const label = `QKM_${newer.replaceAll('.', '_')}`;

let dir: string;
let dataDir: string;
let qkmd: Awaited<ReturnType<typeof startQkmd>> | undefined;
const update = () => path.join(dir, 'update.iso');
const run = (args: string[]) => qkmcmds(['--data-dir', dataDir, ...args]);
const sim = (...args: string[]) => {
  const r = run(['sim', ...args]);
  expect(r.stderr).toBe('');
  return r.stdout;
};
const nothingChanged = () => {
  expect(existsSync(path.join(dataDir, 'software'))).toBe(false);
  // No copy of a disc is left behind, whole or in part.
  expect(readdirSync(path.join(dataDir, 'update-disc'), { withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
};

const background = (args: string[]) => qkmcmdsInteractive(['--data-dir', dataDir, ...args]);

interface UsbCd { busPath: string; cd?: { busy: boolean; media: { label: string | null } | null } }
interface Hw { leds: { cdActivity: { state: string } }; usb: { devices: UsbCd[] } }
const hw = () => JSON.parse(run(['hw', 'status', '--json']).stdout) as Hw;

/**
 * Waits until the USB drive at `port` is being read, and says whether the CD activity LED
 * was on then. It asks qkmd's control socket, as `hw status --json` does, without a
 * process per look, so a busy machine does not miss the read.
 */
async function whileReading(port: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const s = (await controlRequest(dataDir, { op: 'hw-status' })) as Hw;
    if (s.usb.devices.find((d) => d.busPath === port)?.cd?.busy) return s.leds.cdActivity.state;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the USB drive at ${port} was never read`);
}

beforeAll(async () => {
  dir = tempDir('qkm-update-usb-');
  dataDir = path.join(dir, 'data');
  if (xorriso.skip) return;
  const r = spawnSync(BUILD_UPDATE_ISO, ['--no-build', '--no-node-modules', '--key', TEST_UPDATE_KEY_FILE, '--version', newer, '--out', update()], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  // A disc with no ISO 9660 volume at all (an audio CD, a raw dump): 64 KiB of one byte.
  writeFileSync(path.join(dir, 'raw.bin'), Buffer.alloc(64 * 1024, 0x5a));
  // The ~1 MB image takes about 4 s through a drive at 250 KiB/s: long enough to be seen, and pulled out, mid-read.
  qkmd = await startQkmd(['--data-dir', dataDir], { QKM_SIM_CD_READ_KIBPS: '250' });
});
afterAll(async () => {
  await qkmd?.stop();
  removeDir(dir);
});

describe('a USB CD/DVD drive as an update source', () => {
  it('bad input is one sentence and changes nothing: a drive name that is none, a port with no drive, a drive with no disc, a disc with no ISO volume', () => {
    const notADrive = run(['update', '--drive', 'sr1']);
    expect(notADrive).toMatchObject({ code: 1, stdout: '' });
    expect(notADrive.stderr).toBe('qkmcmds: "sr1" is not a drive: give --drive builtin for the appliance\'s own CD drive, or --drive usb:PORT for a CD/DVD drive on a USB port ("qkmcmds hw status" shows the ports).\n');
    expect(run(['rollback', '--drive', 'usb:1-1', '--iso', update()]).stderr).toBe('qkmcmds: Give either --iso FILE or --drive, not both.\n');

    if (xorriso.skip) return;
    const noDrive = run(['update', '--drive', 'usb:1-2']);
    expect(noDrive.code).toBe(1);
    expect(noDrive.stderr).toBe('qkmcmds: There is no drive usb:1-2 to read the update from (this box has builtin); plug the drive in, or name another with --drive ("qkmcmds hw status" shows the USB ports).\n');

    // Plugged in empty: asked for the CD; standard input ends, so nothing is loaded.
    expect(sim('plug-usb', 'cd-dvd', '1-2')).toBe('Plugged in: CD/DVD drive ONDA USB SCSI CD-ROM (19d2:2000) at port 1-2, /dev/sr1: an update source.\n');
    const empty = run(['update', '--drive', 'usb:1-2']);
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('The USB CD/DVD drive at port 1-2 has no disc; insert one first. Load the update CD and press Enter, or enter q to quit.');
    expect(empty.stderr).toBe('qkmcmds: No CD was loaded, so nothing was changed.\n');
    sim('unplug-usb', '1-2');

    sim('plug-usb', 'cd-dvd', '1-2', '--disc', path.join(dir, 'raw.bin'));
    const raw = run(['update']);
    expect(raw.code).toBe(1);
    expect(raw.stderr).toBe('qkmcmds: The CD in the USB CD/DVD drive at port 1-2 holds no ISO 9660 volume; give a CD image (.iso) or a data CD.\n');
    sim('unplug-usb', '1-2');
    nothingChanged();
  });

  it.skipIf(xorriso.skip)('both drives hold a disc: update asks which, and without an answer says to choose with --drive', async () => {
    sim('insert-cd', update());
    sim('plug-usb', 'cd-dvd', '1-1', '--disc', update());
    const unanswered = run(['update', '--check']);
    expect(unanswered.code).toBe(1);
    expect(unanswered.stdout).toContain(`builtin (the built-in CD drive) holds ${label}; usb:1-1 (the USB CD/DVD drive at port 1-1) holds ${label}. Enter the drive to read (builtin or usb:1-1), or q to quit.`);
    expect(unanswered.stderr).toBe('qkmcmds: More than one drive holds a disc (builtin, usb:1-1), so nothing was read or changed; choose one with --drive builtin or --drive usb:1-1.\n');

    const asked = background(['update', '--check']);
    expect(await asked.shown(/Enter the drive to read/)).toBe(1);
    asked.answer('usb:9-9');
    asked.answer('builtin');
    const chose = await asked.done();
    expect(chose.stderr).toBe('');
    expect(chose.stdout).toContain('"usb:9-9" is not one of them; enter builtin or usb:1-1, or q to quit.');
    expect(chose.stdout).toContain(`Update on the CD in the drive (${label}): qkm ${newer}`);
    nothingChanged();
  });

  it.skipIf(xorriso.skip)('unplugged mid-read: one sentence, and nothing changed', async () => {
    // Both drives still hold the disc: --drive picks the USB one without asking.
    const r = background(['update', '--drive', 'usb:1-1']);
    expect(await whileReading('1-1')).toBe('on');
    sim('unplug-usb', '1-1');
    const done = await r.done();
    expect(done.code).toBe(1);
    expect(done.stdout).toContain('Reading the disc in the USB CD/DVD drive at port 1-1 (the CD activity LED is on meanwhile).');
    expect(done.stderr).toBe('qkmcmds: The USB CD/DVD drive at port 1-1 was unplugged while its disc was being read, so nothing was changed; plug it in again and start again.\n');
    nothingChanged();
    expect(hw().leds.cdActivity.state).toBe('off');
  });

  it.skipIf(xorriso.skip)('the only drive holding a disc is read through qkmd, the CD activity LED on meanwhile, and its update installed', async () => {
    sim('eject-cd');
    sim('plug-usb', 'cd-dvd', '1-1', '--disc', update());
    const r = background(['update']);
    expect(await whileReading('1-1')).toBe('on');
    const done = await r.done();
    expect(done.stderr).toBe('');
    expect(done.stdout).toContain(`Installed qkm ${newer} in slot a, on trial; qkm ${installed} stays as the version to roll back to.`);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'software', 'boot.json'), 'utf8'))).toMatchObject({ active: 'a', previous: 'base' });
    // The copy the update read is gone with it; the drive is idle again.
    expect(readdirSync(path.join(dataDir, 'update-disc'))).toEqual([]);
    expect(hw().leds.cdActivity.state).toBe('off');
  });
});
