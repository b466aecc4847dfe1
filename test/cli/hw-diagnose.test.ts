import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { qkmcmds } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { fixturePath } from '../drivers/helpers.js';

/**
 * `qkmcmds hw diagnose` on log captures put together from real outputs (firmware-fixtures,
 * each from another project's test data or a bug report): the verdict a field engineer
 * would reach from the same files.
 */
let dir: string;
beforeEach(() => {
  dir = tempDir('qkm-diagnose-');
});
afterEach(() => removeDir(dir));

/** A capture folder in the log capture's layout: capture path -> fixture (family/name) or text. */
async function capture(name: string, files: Record<string, string | { text: string }>): Promise<string> {
  const root = path.join(dir, name);
  for (const [at, from] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, at)), { recursive: true });
    const content = typeof from === 'string' ? await fs.readFile(fixturePath(from.split('/')[0]!, from.split('/')[1]!), 'utf8') : from.text;
    await fs.writeFile(path.join(root, at), content);
  }
  return root;
}

/** A configuration naming where the captured box's disks sit. */
async function config(hardware: Record<string, string>): Promise<string> {
  const file = path.join(dir, 'box.toml');
  await fs.writeFile(file, `[hardware]\n${Object.entries(hardware).map(([k, v]) => `${k} = "${v}"`).join('\n')}\n`);
  return file;
}

function diagnose(...args: string[]) {
  const r = qkmcmds(['--data-dir', path.join(dir, 'no-data-dir'), 'hw', 'diagnose', ...args]);
  return { ...r, doc: r.code === 0 && args.includes('--json') ? JSON.parse(r.stdout) : null };
}

/** What a user must never see: a stack trace or more than one line of complaint. */
function oneSentence(r: { code: number | null; stderr: string; stdout: string }, re: RegExp) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
}

const lit = (state: string, periodMs?: number) => (periodMs ? { state, periodMs } : { state });

describe('hw diagnose: captures made of real outputs', () => {
  it('md, one array waiting its recovery behind another, a worn disk and a damaged file: all read, the damage named', async () => {
    // mdstat and mdadm --detail of md0 from the same machine (robn/RAID-Info data set 11).
    const root = await capture('raidinfo', {
      'proc/mdstat': 'raid/mdstat-raidinfo-11.txt',
      'mdadm/md0.txt': 'raid/mdadm-detail-raidinfo-md0-11.txt',
      'smartctl/sda.json': 'disks/smartctl-scrutiny-smart-ata-date2.json',
      'smartctl/sdb.json': { text: '{"json_format_version": [1, 0], "smartctl": {"versi' },
    });
    const r = diagnose(root, '--json');
    expect(r.stderr).toBe('');
    const d = r.doc;
    expect(d.raid).toMatchObject({ array: 'md0', level: 'raid1', state: 'recovery-pending', devicesTotal: 2, devicesInSync: 1, percent: null });
    expect(d.raid.members).toEqual([
      { bay: 1, device: 'sdb1', state: 'spare' },
      { bay: 0, device: 'sda1', state: 'active' },
    ]);
    expect(d.arrays.map((a: { array: string; state: string; percent: number | null }) => [a.array, a.state, a.percent])).toEqual([
      ['md1', 'recovering', 24.8], ['md127', 'recovery-pending', null], ['md0', 'recovery-pending', null],
    ]);
    expect(d.disks.map((x: { bay: number; present: boolean; serial: string | null; condition: string }) => [x.bay, x.present, x.serial, x.condition])).toEqual([
      [0, true, '9RK1XXXX', 'in-sync'], [1, true, null, 'spare'],
    ]);
    expect(d.leds).toEqual({
      power: lit('on'), hddActivity: lit('blink', 16000), serverError: lit('on'), cdActivity: lit('off'),
      bays: [
        { bay: 0, activity: lit('blink', 16000), status: lit('on') },
        { bay: 1, activity: lit('blink', 16000), status: lit('on') },
      ],
    });
    expect(d.tickets.map((t: { condition: string }) => t.condition)).toEqual(['hw:disk-wearing:bay0', 'hw:temperature-high:bay0']);
    expect(d.tickets[0]).toMatchObject({ severity: 'warning', open: true, kind: 'disk-wearing' });
    expect(d.unreadable).toEqual([{ file: 'smartctl/sdb.json', reason: 'smartctl gave no readable answer for bay 1 (its JSON is cut off or damaged)' }]);
    expect(Object.keys(d)).toEqual(expect.arrayContaining(['leds', 'raid', 'disks', 'tickets', 'agent', 'cd', 'usb', 'post']));
  });

  it('the same capture as a .tgz, wrapped in a folder as the log capture packs it, gives the same verdict; the terminal form names the damage', async () => {
    const root = await capture('qkm_logcapture_SIM0001/hardware', {
      'proc/mdstat': 'raid/mdstat-raidinfo-11.txt',
      'mdadm/md0.txt': 'raid/mdadm-detail-raidinfo-md0-11.txt',
      'smartctl/sda.json': 'disks/smartctl-scrutiny-smart-ata-date2.json',
      'smartctl/sdb.json': { text: '{"json_format_version": [1, 0], "smartctl": {"versi' },
    });
    const tgz = path.join(dir, 'qkm_logcapture_SIM0001.tgz');
    await tar.c({ gzip: true, file: tgz, cwd: dir }, ['qkm_logcapture_SIM0001']);
    const fromFolder = diagnose(root, '--json').doc;
    const fromTgz = diagnose(tgz, '--json').doc;
    for (const d of [fromFolder, fromTgz]) {
      delete d.capture;
      delete d.agent.at;
      for (const t of d.tickets) delete t.openedAt;
    }
    expect(fromTgz).toEqual(fromFolder);
    const text = diagnose(tgz);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/RAID md0 \(raid1\): recovery-pending, 1 of 2 disks in sync/);
    expect(text.stdout).toMatch(/Tickets it would open \(2\):/);
    expect(text.stdout).toMatch(/10 sectors\s+pending\s+reallocation\s+\(SMART\s+attribute\s+197\)/);
    expect(text.stdout).toMatch(/md1 \(raid1\): recovering 24\.8 %/);
    expect(text.stdout).toMatch(/Could not use:\n {2}smartctl\/sdb\.json: smartctl gave no readable answer for bay 1/);
    // The .tgz was unpacked into a temporary folder of its own, and that folder is gone.
    expect((await fs.readdir(dir)).sort()).toEqual(['qkm_logcapture_SIM0001', 'qkm_logcapture_SIM0001.tgz']);
  });

  it('mdadm --detail alone (no mdstat captured): a removed slot and the faulty disk of a bug report, the bays from the box\'s configuration', async () => {
    const root = await capture('kiwix', { 'mdadm/md1.txt': 'raid/mdadm-detail-kiwix-514-md1.txt' });
    const cfg = await config({ md_array: '/dev/md1', bay0_disk: '/dev/sda', bay1_disk: '/dev/sdb' });
    const d = qkmcmds(['--config', cfg, '--data-dir', path.join(dir, 'none'), 'hw', 'diagnose', root, '--json']);
    expect(d.stderr).toBe('');
    const doc = JSON.parse(d.stdout);
    expect(doc.raid).toMatchObject({ array: 'md1', state: 'degraded', devicesTotal: 2, devicesInSync: 1 });
    expect(doc.raid.members).toEqual([
      { bay: null, device: '', state: 'missing' },
      { bay: 1, device: 'sdb3', state: 'active' },
      { bay: 0, device: 'sda3', state: 'faulty' },
    ]);
    expect(doc.tickets.map((t: { condition: string }) => t.condition)).toEqual(['hw:disk-failed:bay0']);
    expect(doc.leds.serverError).toEqual(lit('on'));
    expect(doc.leds.bays[0]).toEqual({ bay: 0, activity: lit('off'), status: lit('on') });
    expect(doc.unreadable).toEqual([
      { file: 'smartctl/sda.json', reason: 'not in the capture' },
      { file: 'smartctl/sdb.json', reason: 'not in the capture' },
    ]);
  });

  it('storcli, the per-virtual-drive form from another project, with the box\'s slots: the mirror, its disks\' models', async () => {
    const root = await capture('storcli', { 'storcli/c0.json': 'raid/storcli-cloudpods-vall-show-all.json', 'smartctl/sda.json': 'disks/smartctl-exporter-SAMSUNG_MZ7WD240HAFV-00003_21.json' });
    const cfg = await config({ raid: 'storcli', storcli_slots: '8:0,8:1' });
    const doc = JSON.parse(qkmcmds(['--config', cfg, '--data-dir', path.join(dir, 'none'), 'hw', 'diagnose', root, '--json']).stdout);
    expect(doc.raid).toMatchObject({ array: '0/0', level: 'raid1', state: 'clean', devicesTotal: 2, devicesInSync: 2 });
    expect(doc.raid.members).toEqual([{ bay: 0, device: '8:0', state: 'active' }, { bay: 1, device: '8:1', state: 'active' }]);
    expect(doc.arrays.map((a: { array: string; members: { model: string }[] }) => [a.array, a.members[0]!.model])).toEqual([['0/0', 'SAMSUNG MZ7LH480HAHQ-00005']]);
    expect(doc.tickets).toEqual([]);
    expect(doc.leds.serverError).toEqual(lit('off'));
  });
});

describe('hw diagnose: what cannot be diagnosed is one sentence', () => {
  it('a path that does not exist, a file that is not a .tgz, a damaged .tgz, a folder of something else', async () => {
    oneSentence(diagnose(path.join(dir, 'nowhere')), /^qkmcmds: .*nowhere cannot be read as a log capture \(it does not exist\); give the capture's folder or its \.tgz/);
    const notTgz = path.join(dir, 'notes.txt');
    await fs.writeFile(notTgz, 'hello');
    oneSentence(diagnose(notTgz), /cannot be read as a log capture \(it is neither a folder nor a \.tgz\)/);
    const bad = path.join(dir, 'cut.tgz');
    await fs.writeFile(bad, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]));
    oneSentence(diagnose(bad), /cut\.tgz cannot be read as a log capture \(it is not a readable \.tgz/);
    await fs.mkdir(path.join(dir, 'photos'));
    oneSentence(diagnose(path.join(dir, 'photos')), /photos cannot be read as a log capture \(it holds none of proc\/, mdadm\/, smartctl\/, storcli\/\)/);
  });

  it('a capture whose every file is damaged says so, file by file, in one sentence', async () => {
    const root = await capture('damaged', {
      'proc/mdstat': { text: 'Personalities : [raid1]\nmd0 : active raid1 sda1[1] sdb1[0]' },
      'smartctl/sda.json': { text: 'null' },
    });
    oneSentence(diagnose(root), /damaged holds no RAID or disk reading that can be used \(proc\/mdstat: The md status file is cut off: md0 has no size line; smartctl\/sda\.json: smartctl's answer for bay 0 holds no reading \(no smartctl or device section\); smartctl\/sdb\.json: not in the capture\); take a new capture/);
  });
});
