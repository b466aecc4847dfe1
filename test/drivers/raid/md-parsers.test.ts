import { describe, expect, it } from 'vitest';
import { parseMdstat } from '../../../drivers/raid/mdstat.js';
import { mdStatus } from '../../../drivers/raid/md-status.js';
import { parseMdadmDetailExport } from '../../../drivers/raid/mdadm-detail.js';
import { monitorEvents, parseMonitorLine } from '../../../drivers/raid/mdadm-monitor.js';
import { MdRaid } from '../../../drivers/raid/md.js';
import { diskOf, partitionOf } from '../../../drivers/raid/bays.js';
import { FileRoot, FixtureRunner } from '../../../drivers/runner.js';
import { isDriverError } from '../../../drivers/errors.js';
import { makeTempRoot, plant, readFixture, removeTempRoot } from '../helpers.js';

async function only(name: string) {
  const arrays = parseMdstat(await readFixture('raid', name));
  expect(arrays).toHaveLength(arrays.length);
  return arrays;
}

describe('mdstat: recovery and resync progress from each fixture', () => {
  const cases: Array<[string, string, string, number, number, number]> = [
    // file, array, state, percent, speed KiB/s, finish seconds
    ['mdstat-recovery-8.5.txt', 'md6', 'recovering', 8.5, 259783, 1020],
    ['mdstat-recovery-47.3.txt', 'md6', 'recovering', 47.3, 259783, 396],
    ['mdstat-recovery-99.6.txt', 'md6', 'recovering', 99.6, 259783, 0],
    ['mdstat-resync-23.4.txt', 'md0', 'resyncing', 23.4, 23178, 276],
    ['mdstat-resync-8.5.txt', 'md8', 'resyncing', 8.5, 259783, 1020],
  ];
  for (const [file, array, state, percent, speed, finish] of cases) {
    it(`${file}: ${state} ${percent}%`, async () => {
      const [a] = await only(file);
      expect(a!.name).toBe(array);
      const s = mdStatus(a!, { 0: 'sda', 1: 'sdb' });
      expect(s).toMatchObject({ state, percent, speedKiBps: speed, finishSec: finish });
    });
  }

  it('a recovering RAID 1 shows the spare as the disk being rebuilt and the faulty one as faulty', async () => {
    const [a] = await only('mdstat-recovery-8.5.txt');
    const s = mdStatus(a!, { 0: 'sda', 1: 'sdb' });
    expect(s.members).toEqual([
      { bay: 1, device: 'sdb2', state: 'faulty', slot: null },
      { bay: null, device: 'sdc', state: 'rebuilding', slot: null },
      { bay: 0, device: 'sda2', state: 'active', slot: null },
    ]);
    expect([s.devicesTotal, s.devicesInSync]).toEqual([2, 1]);
  });
});

describe('mdstat: other states', () => {
  it('clean RAID 1', async () => {
    const [a] = await only('mdstat-clean.txt');
    expect(mdStatus(a!, {})).toMatchObject({ array: 'md0', level: 'raid1', state: 'clean', devicesTotal: 2, devicesInSync: 2, percent: null });
  });

  it('degraded RAID 1 with a faulty member and an empty bay', async () => {
    const [a] = await only('mdstat-degraded.txt');
    const s = mdStatus(a!, { 0: 'sda', 1: 'sdc' });
    expect(s.state).toBe('degraded');
    expect(s.members).toContainEqual({ bay: null, device: 'sdb2', state: 'faulty', slot: null });
    expect(s.members).toContainEqual({ bay: 1, device: '', state: 'missing', slot: null });
  });

  it('faulty member in a RAID 6 and a missing member in a RAID 5 are degraded', async () => {
    const [r6] = await only('mdstat-faulty-member.txt');
    expect(mdStatus(r6!, {})).toMatchObject({ state: 'degraded', devicesTotal: 4, devicesInSync: 3 });
    expect(mdStatus(r6!, {}).members.filter((m) => m.state === 'faulty').map((m) => m.device)).toEqual(['sdc1']);
    const [r5] = await only('mdstat-missing-member-raid5.txt');
    const s5 = mdStatus(r5!, {});
    expect(s5).toMatchObject({ state: 'degraded', devicesTotal: 4, devicesInSync: 3 });
    expect(s5.members.filter((m) => m.state === 'missing')).toHaveLength(1);
  });

  it('an inactive array is failed', async () => {
    const [a] = await only('mdstat-inactive-failed.txt');
    expect(a!.active).toBe(false);
    expect(mdStatus(a!, {}).state).toBe('failed');
  });

  it('a consistency check keeps the array clean, says it is checking, and keeps its percent', async () => {
    const arrays = await only('mdstat-check-94.3.txt');
    const md2 = mdStatus(arrays.find((a) => a.name === 'md2')!, {});
    expect(md2).toMatchObject({ state: 'clean', checking: true, percent: 94.3 });
    expect(arrays.find((a) => a.name === 'md2')!.percent).toBe(94.3);
  });

  it('reads every array of the procfs fixture, including read-only, DELAYED and PENDING ones', async () => {
    const arrays = await only('mdstat-procfs-many-arrays.txt');
    expect(arrays.map((a) => a.name)).toEqual([
      'md3', 'md127', 'md0', 'md4', 'md6', 'md8', 'md201', 'md7', 'md9', 'md10', 'md11', 'md12', 'md126', 'md219', 'md00', 'md120', 'md101', 'md42',
    ]);
    const by = (n: string) => arrays.find((a) => a.name === n)!;
    expect(by('md9').pending).toBe('DELAYED');
    expect(by('md11')).toMatchObject({ readOnly: false, autoReadOnly: true, pending: 'PENDING', level: 'raid1' });
    expect(by('md219')).toMatchObject({ active: false, level: null });
    expect(by('md42')).toMatchObject({ action: 'reshape', percent: 56.1 });
    expect(by('md201')).toMatchObject({ action: 'check', percent: 5.7 });
  });

  it('refuses text that is not /proc/mdstat', () => {
    expect(() => parseMdstat('hello')).toThrow(/does not look like/);
  });
});

describe('mdadm --detail --export', () => {
  it('reads roles in both key styles (dev_… and mdadm’s ev_… quirk)', async () => {
    const r1 = parseMdadmDetailExport(await readFixture('raid', 'mdadm-detail-export-raid1.txt'));
    expect(r1).toMatchObject({ level: 'raid1', devices: 2, uuid: '35dd06d4:b4e9e248:9262c3ad:02b61654' });
    expect([...r1.roles]).toEqual([['/dev/sda1', 0], ['/dev/sdb1', 1]]);
    const r10 = parseMdadmDetailExport(await readFixture('raid', 'mdadm-detail-export-spare.txt'));
    expect(r10.roles.get('/dev/sdc3')).toBe('spare');
    expect(r10.roles.get('/dev/sdd2')).toBe(3);
  });

  it('roles pin down which member rebuilds', async () => {
    const [a] = parseMdstat(await readFixture('raid', 'mdstat-recovery-8.5.txt'));
    const detail = parseMdadmDetailExport('MD_LEVEL=raid1\nMD_DEVICES=2\nMD_DEVICE_dev_sda2_ROLE=0\nMD_DEVICE_dev_sda2_DEV=/dev/sda2\nMD_DEVICE_dev_sdc_ROLE=1\nMD_DEVICE_dev_sdc_DEV=/dev/sdc\n');
    const s = mdStatus(a!, { 0: 'sda', 1: 'sdc' }, detail);
    expect(s.members.find((m) => m.device === 'sdc')).toEqual({ bay: 1, device: 'sdc', state: 'rebuilding', slot: 1 });
  });
});

describe('mdadm --monitor lines', () => {
  it('turns the recorded event lines into RAID events', async () => {
    const lines = (await readFixture('raid', 'mdadm-monitor-events.txt')).split('\n').filter(Boolean);
    const events = lines.flatMap((l) => monitorEvents(parseMonitorLine(l)!, { 0: 'sda', 1: 'sdb' }));
    expect(events).toEqual([
      { type: 'disk-failed', bay: 1, device: 'sdb1' },
      { type: 'array-degraded' },
      { type: 'rebuild-started', bay: null, device: '' },
      { type: 'rebuild-progress', percent: 20 },
      { type: 'rebuild-progress', percent: 40 },
      { type: 'rebuild-progress', percent: 60 },
      { type: 'rebuild-progress', percent: 80 },
      { type: 'rebuild-finished', bay: null, device: '' },
      { type: 'rebuild-failed', bay: 1, device: 'sdb1' },
      { type: 'array-failed' },
    ]);
  });

  it('also reads the argument form handed to --program', () => {
    expect(parseMonitorLine('Fail /dev/md0 /dev/sdb1')).toEqual({ event: 'Fail', array: '/dev/md0', component: '/dev/sdb1' });
    expect(parseMonitorLine('garbage')).toBeUndefined();
  });

  it('the md backend emits monitor events for its own array only', async () => {
    const root = await makeTempRoot();
    try {
      const md = new MdRaid({ root: new FileRoot(root), bays: { 1: 'sdb' }, array: 'md0' });
      const seen: string[] = [];
      md.subscribe((e) => seen.push(e.type));
      md.ingestMonitorLine('Aug  7 09:46:25: Fail on /dev/md0 /dev/sdb1');
      md.ingestMonitorLine('Aug  7 09:46:25: Fail on /dev/md1 /dev/sdb2');
      expect(seen).toEqual(['disk-failed']);
    } finally {
      await removeTempRoot(root);
    }
  });
});

describe('md backend', () => {
  it('says plainly when the configured array is not running', async () => {
    const root = await makeTempRoot();
    try {
      await plant(root, '/proc/mdstat', await readFixture('raid', 'mdstat-clean.txt'));
      const md = new MdRaid({ root: new FileRoot(root), bays: {}, array: 'md9' });
      await expect(md.status()).rejects.toSatisfy((e) => isDriverError(e, 'ARRAY_NOT_FOUND'));
    } finally {
      await removeTempRoot(root);
    }
  });

  it('uses mdadm roles when the runner answers, and carries on without them when it cannot', async () => {
    const root = await makeTempRoot();
    try {
      await plant(root, '/proc/mdstat', await readFixture('raid', 'mdstat-resync-23.4.txt'));
      const runner = new FixtureRunner({ 'mdadm --detail --export /dev/md0': { stdout: await readFixture('raid', 'mdadm-detail-export-raid1.txt') } });
      const withRoles = await new MdRaid({ root: new FileRoot(root), bays: { 0: 'sda', 1: 'sdb' }, runner }).status();
      expect(withRoles.members.map((m) => [m.device, m.bay, m.slot])).toEqual([['sdb1', 1, 1], ['sda1', 0, 0]]);
      const blind = await new MdRaid({ root: new FileRoot(root), bays: {}, runner: new FixtureRunner() }).status();
      expect(blind.state).toBe('resyncing');
    } finally {
      await removeTempRoot(root);
    }
  });

  it('maps partitions to disks', () => {
    expect([diskOf('sda1'), diskOf('/dev/sdb'), diskOf('nvme0n1p2'), partitionOf('/dev/sdb', 1), partitionOf('/dev/nvme1n1', 1)]).toEqual([
      'sda', 'sdb', 'nvme0n1', '/dev/sdb1', '/dev/nvme1n1p1',
    ]);
  });
});
