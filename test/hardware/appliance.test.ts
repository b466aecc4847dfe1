import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDriverError } from '../../drivers/errors.js';
import { FixtureRunner } from '../../drivers/runner.js';
import { MdReAdder } from '../../drivers/raid/md-readd.js';
import type { PassReport } from '../../src/agent/agent.js';
import { applianceDrivers } from '../../src/hardware/appliance.js';
import { applianceSettings, applianceTools } from '../../src/hardware/appliance-settings.js';
import { ReplacementWatcher, waitingBays } from '../../src/agent/replacement.js';
import { loadConfig, PACKAGE_ROOT } from '../../src/config/config.js';
import type { Ticket } from '../../src/ras/tickets.js';
import { readVolumeLabel } from '../../src/update/iso9660/index.js';
import { fakeIso } from '../drivers/cdrom/contract.js';
import { removeDir, tempDir } from '../helpers/engine.js';

const APPLIANCE = path.join(PACKAGE_ROOT, 'config', 'appliance.toml');

let dir: string;
beforeEach(() => (dir = tempDir('qkm-appliance-')));
afterEach(() => removeDir(dir));

const config = (env: Record<string, string> = {}, extra?: string) => {
  let configFile = APPLIANCE;
  if (extra) {
    configFile = path.join(dir, 'site.toml');
    writeFileSync(configFile, extra);
  }
  return loadConfig({ configFile, env });
};
const refusal = (env: Record<string, string>, extra?: string) => {
  try {
    applianceSettings(config(env, extra));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the settings to be refused');
};

describe('[hardware] and [leds] for the appliance profile', () => {
  it('the shipped appliance profile: real tools on, disk writes off, sysfs front panel, ledctl bay status', () => {
    const s = applianceSettings(config());
    expect(s).toMatchObject({ root: '/', runCommands: true, raid: 'md', mdDevice: '/dev/md0', mdName: 'md0', mdPartition: 1, readdBlankDisks: false });
    expect(s.bays).toEqual({ 0: '/dev/sda', 1: '/dev/sdb' });
    expect(s.sysfsLeds).toEqual({
      power: 'qkm:green:power', hddActivity: 'qkm:green:hdd', serverError: 'qkm:amber:error', cdActivity: 'qkm:green:cd',
      'bay0.activity': 'qkm:green:hdd0', 'bay1.activity': 'qkm:green:hdd1',
    });
    expect(s.ledctlLeds).toEqual({ 'bay0.status': '/dev/sda', 'bay1.status': '/dev/sdb' });
    expect(s.cdrom).toEqual({ backend: 'linux', device: '/dev/sr0', image: '', moveTray: true });
    // The CD drive is described by udevadm and its tray moved by eject; the image backend runs nothing.
    expect(applianceTools(s).sort()).toEqual(['eject', 'ledctl', 'mdadm', 'smartctl', 'udevadm']);
    expect(applianceTools({ ...s, cdrom: { ...s.cdrom, moveTray: false } }).sort()).toEqual(['ledctl', 'mdadm', 'smartctl', 'udevadm']);
    expect(applianceTools({ ...s, cdrom: { ...s.cdrom, backend: 'image' }, usb: 'none', readdBlankDisks: true }).sort()).toEqual(['blkid', 'ledctl', 'mdadm', 'sfdisk', 'smartctl', 'wipefs']);
    // A CD/DVD drive on a USB port, found through sysfs, is described by udevadm whatever the built-in drive is.
    expect(applianceTools({ ...s, cdrom: { ...s.cdrom, backend: 'image' }, usb: 'sysfs' }).sort()).toEqual(['ledctl', 'mdadm', 'smartctl', 'udevadm']);
  });

  it('the embedded default runs no command', () => {
    const c = loadConfig({ env: {} });
    expect(c.hardware).toMatchObject({ root: '/', run_commands: false, readd_blank_disks: false });
    expect(applianceSettings(c).runCommands).toBe(false);
  });

  it('refuses keys that do not fit together, in one sentence naming them', () => {
    expect(refusal({ QKM_HARDWARE_BAY0_DISK: '/dev/sdb' })).toMatch(/^hardware\.bay0_disk and hardware\.bay1_disk are both \/dev\/sdb, but each bay needs its own disk; .* \(config from .*appliance\.toml, QKM_HARDWARE_BAY0_DISK\)\.$/);
    expect(refusal({ QKM_LEDS_CD_ACTIVITY: 'qkm:green:power' })).toMatch(/^leds\.power and leds\.cd_activity both name the LED "qkm:green:power"; each front-panel LED needs its own device/);
    expect(refusal({ QKM_LEDS_POWER: 'ledctl' })).toMatch(/^leds\.power is "ledctl", but ledctl drives only the bays' status LEDs/);
    expect(refusal({ QKM_HARDWARE_RAID: 'storcli', QKM_HARDWARE_STORCLI_SLOTS: '252:0,252:0' })).toMatch(/hardware\.storcli_slots names the slot 252:0 for both bays/);
    expect(refusal({ QKM_HARDWARE_CDROM: 'image' })).toMatch(/^hardware\.cdrom is "image", but hardware\.cdrom_image is empty; give the path of the \.iso file that stands for the disc \(config from .*appliance\.toml, QKM_HARDWARE_CDROM\)\.$/);
  });

  it('refuses single bad values with the file and line, like every key', () => {
    expect(() => config({}, '[leds]\npower = "../../etc/passwd"\n')).toThrow(/^leds\.power in .*site\.toml line 2 is "\.\.\/\.\.\/etc\/passwd", but it must be empty, or an LED name under \/sys\/class\/leds/);
    expect(() => config({}, '[hardware]\nbay1_disk = "/dev/disk/by-id/x"\n')).toThrow(/^hardware\.bay1_disk in .*line 2 .* must be a whole-disk kernel device such as \/dev\/sda/);
    expect(() => config({ QKM_HARDWARE_MD_ARRAY: 'md0' })).toThrow(/^hardware\.md_array in environment variable QKM_HARDWARE_MD_ARRAY is "md0", but it must be an md device such as \/dev\/md0\.$/);
    expect(() => config({ QKM_HARDWARE_ROOT: 'relative/dir' })).toThrow(/must be an absolute directory path/);
    expect(() => config({ QKM_HARDWARE_CDROM_DEVICE: '/dev/sda' })).toThrow(/^hardware\.cdrom_device in environment variable QKM_HARDWARE_CDROM_DEVICE is "\/dev\/sda", but it must be a CD drive's block device such as \/dev\/sr0\.$/);
  });
});

describe('the appliance drivers', () => {
  it('the CD drive as configured: the Linux drive (which, with run_commands off, may not ask udev), or an image file read through the ISO reader', async () => {
    await fs.mkdir(path.join(dir, 'proc/sys/dev/cdrom'), { recursive: true });
    await fs.copyFile(path.join(PACKAGE_ROOT, 'firmware-fixtures/cdrom/proc-cdrom-info.txt'), path.join(dir, 'proc/sys/dev/cdrom/info'));
    const linux = (await applianceDrivers(applianceSettings(config({ QKM_HARDWARE_RUN_COMMANDS: 'false', QKM_HARDWARE_ROOT: dir })), 5_000)).drivers.cdrom!();
    expect(linux.kind).toBe('linux');
    await expect(linux.status()).rejects.toSatisfy((e) => isDriverError(e, 'RUNNER_DISABLED'));
    await expect(linux.openTray()).rejects.toSatisfy((e) => isDriverError(e, 'RUNNER_DISABLED'));

    await fs.mkdir(path.join(dir, 'srv'));
    await fakeIso(path.join(dir, 'srv/update.iso'), 'QKM_2_4_0');
    const env = { QKM_HARDWARE_RUN_COMMANDS: 'false', QKM_HARDWARE_ROOT: dir, QKM_HARDWARE_CDROM: 'image', QKM_HARDWARE_CDROM_IMAGE: '/srv/update.iso' };
    const image = (await applianceDrivers(applianceSettings(config(env)), 5_000)).drivers.cdrom!();
    expect(image.kind).toBe('image');
    expect(await image.status()).toEqual({ present: true, trayOpen: false, media: { label: 'QKM_2_4_0', sizeBytes: 256 * 1024 }, busy: false });
    expect(await image.withImage(async (p) => ({ label: await readVolumeLabel(p), busy: (await image.status()).busy }))).toEqual({ label: 'QKM_2_4_0', busy: true });
  });

  it('with run_commands off, no tool runs: every command is refused', async () => {
    const s = applianceSettings(config({ QKM_HARDWARE_RUN_COMMANDS: 'false', QKM_HARDWARE_ROOT: dir }));
    const { drivers, readder } = await applianceDrivers(s, 5_000);
    expect(readder).toBeNull();
    await expect(drivers.disks!().readAll()).rejects.toSatisfy((e) => isDriverError(e, 'RUNNER_DISABLED'));
    await expect(drivers.leds!().set('bay0.status', { state: 'on' })).rejects.toSatisfy((e) => isDriverError(e, 'RUNNER_DISABLED'));
  });
});

/** A ticket store in memory, with the real one's once-per-condition rule. */
function memoryTickets() {
  const all: Ticket[] = [];
  return {
    all,
    open(condition: string, severity: Ticket['severity'], text: string) {
      if (all.some((t) => t.open && t.condition === condition)) return false;
      all.push({ id: all.length + 1, condition, severity, text, kind: null, params: null, openedAt: 0, closedAt: null, open: true });
      return true;
    },
    close(condition: string) {
      const t = all.find((x) => x.open && x.condition === condition);
      if (!t) return false;
      Object.assign(t, { open: false, closedAt: 1 });
      return true;
    },
    list(opts: { openOnly?: boolean } = {}) {
      return all.filter((t) => !opts.openOnly || t.open);
    },
  };
}

/** A pass in which bay 1 holds a disk md has not taken in (or, with `inArray`, one it has). */
function pass(serial: string | null, opts: { inArray?: boolean; empty?: boolean } = {}): PassReport {
  const members = [
    { bay: 0, device: 'sda1', state: 'active' as const, slot: 0 },
    opts.inArray ? { bay: 1, device: 'sdb1', state: 'rebuilding' as const, slot: 1 } : { bay: 1, device: '', state: 'missing' as const, slot: null },
  ];
  const bay = (b: number, condition: string, s: string | null) => ({ bay: b, condition, serial: s, lastSerial: null, emptyForMs: null, smartFailing: false, concerns: [], temperatureC: null, hot: false });
  return {
    snapshot: {
      raid: { array: 'md0', level: 'raid1', state: opts.inArray ? 'recovering' : 'degraded', devicesTotal: 2, devicesInSync: 1, percent: null, speedKiBps: null, finishSec: null, checking: false, members },
      health: { bays: [bay(0, 'in-sync', 'A'), bay(1, opts.empty ? 'empty' : opts.inArray ? 'rebuilding' : 'spare', serial)] },
    } as unknown as PassReport['snapshot'],
    tickets: { opened: [], closed: [] },
  };
}

describe('the replaced-disk watcher', () => {
  const base = { array: '/dev/md0', bays: { 0: '/dev/sda', 1: '/dev/sdb' }, partition: 1, log: { info: () => {}, warn: () => {} } };

  it('finds a bay that waits only in a degraded array, after the new-disk window', () => {
    expect(waitingBays(pass('B').snapshot)).toEqual([{ bay: 1, serial: 'B' }]);
    expect(waitingBays(pass('B', { inArray: true }).snapshot)).toEqual([]);
    expect(waitingBays(pass(null, { empty: true }).snapshot)).toEqual([]);
  });

  it('with writes off: a ticket once per disk, closed when the disk is in the mirror', async () => {
    const tickets = memoryTickets();
    const w = new ReplacementWatcher({ ...base, readder: null, tickets }, () => {});
    w.onPass(pass('B'));
    w.onPass(pass('B'));
    expect(tickets.list({ openOnly: true }).map((t) => t.condition)).toEqual(['disk-readd:waiting:bay1']);
    expect(tickets.all[0]!.text).toMatch(/sfdisk -d \/dev\/sda \| sfdisk \/dev\/sdb, then mdadm \/dev\/md0 --add \/dev\/sdb1/);
    w.onPass(pass('B', { inArray: true }));
    expect(tickets.list({ openOnly: true })).toEqual([]);
    await w.stop();
  });

  it('with writes on: tries each disk once; a failing tool becomes a ticket, never a retry loop', async () => {
    const tickets = memoryTickets();
    const runner = new FixtureRunner({ 'wipefs --no-act --json /dev/sdb': { code: 1, stderr: 'wipefs: cannot open /dev/sdb' } });
    let kicks = 0;
    const w = new ReplacementWatcher({ ...base, readder: new MdReAdder({ runner, array: '/dev/md0', bays: base.bays, partition: 1 }), tickets }, () => kicks++);
    w.onPass(pass('B'));
    await w.settled();
    expect(kicks).toBe(1); // the agent looks again at once
    w.onPass(pass('B'));
    await w.settled();
    expect(runner.calls.map((c) => c.line)).toEqual(['wipefs --no-act --json /dev/sdb']);
    expect(tickets.list({ openOnly: true }).map((t) => [t.condition, t.severity])).toEqual([['disk-readd:failed:bay1', 'error']]);
    expect(tickets.all[0]!.text).toMatch(/^qkmd could not add the new disk in bay 1 to the mirror \/dev\/md0 \(Could not look for signatures on \/dev\/sdb\.\); see qkmd's log/);
    // Another disk in the bay is tried afresh.
    w.onPass(pass('C'));
    await w.settled();
    expect(runner.calls).toHaveLength(2);
    await w.stop();
  });
});
