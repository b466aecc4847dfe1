import { describe, expect, it } from 'vitest';
import { parseStorcliShowAll } from '../../../drivers/raid/storcli.js';
import { MdReAdder, signaturesFromBlkid, signaturesFromWipefs, tableForNewDisk } from '../../../drivers/raid/md-readd.js';
import { SimRaid } from '../../../drivers/raid/sim.js';
import { SimBays } from '../../../drivers/sim/bays.js';
import { ManualClock } from '../../../drivers/clock.js';
import { FixtureRunner } from '../../../drivers/runner.js';
import { isDriverError } from '../../../drivers/errors.js';
import type { RaidEvent } from '../../../drivers/raid/contract.js';
import { readFixture } from '../helpers.js';

describe('storcli show all J', () => {
  it('optimal: clean RAID 6 with four online drives', async () => {
    const s = parseStorcliShowAll(await readFixture('raid', 'storcli-show-all-optimal.json'), { slotBays: { '252:0': 0, '252:1': 1 } });
    expect(s).toMatchObject({ array: '0/0', level: 'raid6', state: 'clean', devicesTotal: 4, devicesInSync: 4 });
    expect(s.members.slice(0, 2)).toEqual([
      { bay: 0, device: '252:0', state: 'active', slot: 0, model: 'Micron_5200_MTFDDAK960TDC' },
      { bay: 1, device: '252:1', state: 'active', slot: 1, model: 'Micron_5200_MTFDDAK960TDC' },
    ]);
    expect(s.controller).toEqual({ status: 'Optimal', battery: { kind: 'CacheVault', state: 'Optimal' }, needsAttention: false, statusBad: false, batteryBad: false });
  });

  it('degraded with a drive in Rbld reads as recovering, that drive rebuilding', async () => {
    const s = parseStorcliShowAll(await readFixture('raid', 'storcli-show-all-degraded.json'));
    expect(s).toMatchObject({ state: 'recovering', devicesInSync: 3, percent: null });
    expect(s.members.find((m) => m.device === '252:1')!.state).toBe('rebuilding');
  });

  it('a controller error or non-JSON answer is an error, not a state', async () => {
    const failed = JSON.stringify({ Controllers: [{ 'Command Status': { Status: 'Failure', Description: 'Controller 0 not found' } }] });
    expect(() => parseStorcliShowAll(failed)).toThrow(/did not answer/);
    expect(() => parseStorcliShowAll('Usage: storcli ...')).toThrow(/JSON/);
  });
});

describe('re-adding a replaced disk to md', () => {
  async function world(newDisk: 'blank' | 'gpt' | 'ext4') {
    const wipefs = { blank: 'wipefs-blank.json', gpt: 'wipefs-gpt.json', ext4: 'wipefs-ext4.json' }[newDisk];
    const blkid = { blank: 'blkid-blank.txt', gpt: 'blkid-gpt.txt', ext4: 'blkid-ext4.txt' }[newDisk];
    return new FixtureRunner({
      'wipefs --no-act --json /dev/sdb': { stdout: await readFixture('raid', wipefs) },
      'blkid -p -o export /dev/sdb': { stdout: await readFixture('raid', blkid), code: newDisk === 'blank' ? 2 : 0 },
      'sfdisk -d /dev/sda': { stdout: await readFixture('raid', 'sfdisk-dump-gpt.txt') },
      'sfdisk /dev/sdb': { stdout: '' },
      'sfdisk --wipe always /dev/sdb': { stdout: '' },
      'mdadm /dev/md0 --add /dev/sdb1': { stdout: 'mdadm: added /dev/sdb1' },
    });
  }
  const adder = (runner: FixtureRunner) => new MdReAdder({ runner, array: '/dev/md0', bays: { 0: '/dev/sda', 1: '/dev/sdb' }, partition: 1 });

  it('a blank disk gets the good disk’s partition table and joins the mirror', async () => {
    const runner = await world('blank');
    const r = await adder(runner).addReplacement(1);
    expect(runner.calls.map((c) => c.line)).toEqual([
      'wipefs --no-act --json /dev/sdb',
      'blkid -p -o export /dev/sdb',
      'sfdisk -d /dev/sda',
      'sfdisk /dev/sdb',
      'mdadm /dev/md0 --add /dev/sdb1',
    ]);
    const table = runner.calls[3]!.input!;
    expect(table).toContain('label: gpt');
    expect(table).not.toMatch(/label-id|uuid=|good\.img/);
    expect(table).toContain('start=        2048, size=       65536, type=A19D880F-05FC-4D3B-A006-743F0F84911E');
    expect(r.steps).toEqual(['/dev/sdb is blank', 'copied the partition table from /dev/sda to /dev/sdb', 'added /dev/sdb1 to /dev/md0']);
  });

  it('refuses a disk with a partition table or file system, and writes nothing', async () => {
    for (const found of ['gpt', 'ext4'] as const) {
      const runner = await world(found);
      const err = await adder(runner).addReplacement(1).catch((e: unknown) => e);
      expect(isDriverError(err, 'DISK_NOT_BLANK')).toBe(true);
      expect((err as Error).message).toMatch(/bay 1 \(\/dev\/sdb\) is not blank .*nothing was written/);
      expect(runner.calls.map((c) => c.line)).toEqual(['wipefs --no-act --json /dev/sdb', 'blkid -p -o export /dev/sdb']);
    }
  });

  it('overwrites a non-blank disk only when explicitly allowed', async () => {
    const runner = await world('gpt');
    await adder(runner).addReplacement(1, { allowNonBlank: true });
    expect(runner.calls.map((c) => c.line)).toContain('sfdisk --wipe always /dev/sdb');
  });

  it('reads signatures from wipefs and blkid output', async () => {
    expect(signaturesFromWipefs(await readFixture('raid', 'wipefs-gpt.json'))).toEqual(['gpt at 0x200', 'gpt at 0x3fffe00', 'PMBR at 0x1fe']);
    expect(signaturesFromWipefs(await readFixture('raid', 'wipefs-blank.json'))).toEqual([]);
    expect(signaturesFromBlkid(await readFixture('raid', 'blkid-ext4.txt'))).toEqual(['ext4 file system']);
    expect(signaturesFromBlkid(await readFixture('raid', 'blkid-blank.txt'))).toEqual([]);
    expect(tableForNewDisk('device: /dev/sda\nsda1 : start=2048, size=10, type=L, uuid=AB-CD\n')).toBe('start=2048, size=10, type=L\n');
  });
});

describe('simulated RAID 1: the manual’s disk replacement on a manual clock', () => {
  function setup(opts: { startDelayMs?: number; rebuildMs?: number } = {}) {
    const clock = new ManualClock();
    const bays = new SimBays();
    const raid = new SimRaid({ bays, clock, rebuildMs: 45 * 60_000, startDelayMs: 5_000, ...opts });
    const events: RaidEvent[] = [];
    raid.subscribe((e) => events.push(e));
    return { clock, bays, raid, events };
  }

  it('fail, pull, insert blank: rebuild starts after ~5 s, runs 45 min, array clean again', async () => {
    const { clock, bays, raid, events } = setup();
    bays.fail(1);
    expect((await raid.status()).state).toBe('degraded');
    bays.pull(1);
    expect((await raid.status()).members[1]!.state).toBe('missing');
    bays.insert(1, { serial: 'NEW1' });
    clock.advance(4_999);
    expect((await raid.status()).members[1]!.state).toBe('spare');
    clock.advance(1);
    expect((await raid.status())).toMatchObject({ state: 'recovering', percent: 0, finishSec: 2700 });
    clock.advance(22.5 * 60_000);
    expect((await raid.status()).percent).toBe(50);
    clock.advance(22.5 * 60_000);
    expect(await raid.status()).toMatchObject({ state: 'clean', percent: null, devicesInSync: 2 });
    expect(events.map((e) => e.type)).toEqual([
      'disk-failed', 'array-degraded', 'disk-removed', 'disk-added', 'rebuild-started',
      ...Array(9).fill('rebuild-progress'), 'rebuild-finished',
    ]);
    expect(clock.pendingCount).toBe(0);
  });

  it('a faulty replacement fails its rebuild and stays faulty', async () => {
    const { clock, bays, raid, events } = setup();
    bays.pull(0);
    bays.insert(0, { serial: 'BAD1', faulty: true });
    clock.advance(60 * 60_000);
    const s = await raid.status();
    expect(s.state).toBe('degraded');
    expect(s.members[0]!.state).toBe('faulty');
    expect(events.map((e) => e.type)).toContain('rebuild-failed');
    expect(events.map((e) => e.type)).not.toContain('rebuild-finished');
  });

  it('a non-blank replacement waits for permission, then rebuilds', async () => {
    const { clock, bays, raid } = setup();
    bays.pull(1);
    bays.insert(1, { serial: 'USED1', blank: false });
    clock.advance(60_000);
    expect((await raid.status()).state).toBe('degraded');
    await expect(raid.addReplacement(1)).rejects.toSatisfy((e) => isDriverError(e, 'DISK_NOT_BLANK'));
    await raid.addReplacement(1, { allowNonBlank: true });
    expect((await raid.status()).state).toBe('recovering');
    clock.advance(45 * 60_000);
    expect((await raid.status()).state).toBe('clean');
  });

  it('two disks out fails the array; pulling a rebuilding disk fails its rebuild', async () => {
    const { clock, bays, raid, events } = setup();
    bays.pull(1);
    bays.insert(1, { serial: 'N' });
    clock.advance(10_000);
    bays.pull(1);
    expect(events.map((e) => e.type)).toContain('rebuild-failed');
    bays.pull(0);
    expect((await raid.status()).state).toBe('failed');
    expect(events.at(-1)!.type).toBe('array-failed');
    expect(() => bays.pull(0)).toThrow(/no disk/);
    await raid.close();
    expect(clock.pendingCount).toBe(0);
  });
});
