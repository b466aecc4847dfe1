import { describe, expect, it } from 'vitest';
import { parseMdstat } from '../../drivers/raid/mdstat.js';
import { mdStatus } from '../../drivers/raid/md-status.js';
import { parseMdadmDetailExport } from '../../drivers/raid/mdadm-detail.js';
import { detailTextRoles, parseMdadmDetailText } from '../../drivers/raid/mdadm-detail-text.js';
import { mdStatusFromDetail } from '../../drivers/raid/md-detail-status.js';
import { parseStorcliShowAll } from '../../drivers/raid/storcli.js';
import { parseSmartctlJson } from '../../drivers/disks/smartctl.js';
import { isDriverError } from '../../drivers/errors.js';
import { initialMemory } from '../../src/agent/memory.js';
import { supervise } from '../../src/agent/supervisor.js';
import { readFixture } from './helpers.js';

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

/** The driver's own error, with a reason, and nothing else (no TypeError, no empty reading). */
function refused(read: () => unknown, reason: RegExp): void {
  let caught: unknown;
  try {
    read();
  } catch (e) {
    caught = e;
  }
  expect(isDriverError(caught, 'PARSE_FAILED'), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(reason);
}

describe('/proc/mdstat: damaged and unusual forms', () => {
  it('CRLF line ends read the same as LF', async () => {
    const text = await readFixture('raid', 'mdstat-raidinfo-11.txt');
    expect(parseMdstat(crlf(text))).toEqual(parseMdstat(text));
  });

  it('a file cut off under a header, or in the middle of its member list, is refused with the array named', async () => {
    refused(() => parseMdstat('Personalities : [raid1]\nmd0 : active raid1 sda1[1] sdb1[0]'), /cut off: md0/);
    const text = await readFixture('raid', 'mdstat-raidinfo-4.txt');
    refused(() => parseMdstat(text.slice(0, text.indexOf('md123 : active raid1 sdd[2] sde') + 'md123 : active raid1 sdd[2] s'.length)), /cut off or damaged at md123/);
  });

  it('read-only and auto-read-only stay distinct; the metadata and an IMSM container are read', async () => {
    const many = parseMdstat(await readFixture('raid', 'mdstat-procfs-many-arrays.txt'));
    expect(many.find((a) => a.name === 'md101')).toMatchObject({ readOnly: true, autoReadOnly: false });
    expect(many.find((a) => a.name === 'md11')).toMatchObject({ readOnly: false, autoReadOnly: true });
    const imsm = parseMdstat(await readFixture('raid', 'mdstat-libstorage-imsm-container.txt'));
    expect(imsm.map((a) => [a.name, a.metadata, a.container])).toEqual([
      ['md125', 'external:/md127/0', false], ['md126', 'external:/md127/1', false], ['md127', 'external:imsm', true],
    ]);
    // 0.90 arrays print no "super".
    expect(parseMdstat(await readFixture('raid', 'mdstat-pymdstat-03.txt'))[0]!.metadata).toBeNull();
  });

  it('a replacement copy (R) is the disk being rebuilt, beside the one it replaces', async () => {
    const [a] = parseMdstat(await readFixture('raid', 'mdstat-procfs-676-replacement.txt'));
    expect(mdStatus(a!, { 0: 'sdb', 1: 'sdk' }).members.filter((m) => m.bay !== null)).toEqual([
      { bay: 1, device: 'sdk1', state: 'rebuilding', slot: null },
      { bay: 0, device: 'sdb1', state: 'active', slot: null },
    ]);
  });
});

describe('mdadm --detail --export: metadata, name, and other text', () => {
  it('reads the metadata and the device name, with CRLF too', async () => {
    const text = await readFixture('raid', 'mdadm-detail-export-spare.txt');
    const d = parseMdadmDetailExport(text);
    expect({ metadata: d.metadata, devname: d.devname, level: d.level }).toEqual({ metadata: '1.2', devname: 'test', level: 'raid10' });
    expect(parseMdadmDetailExport(crlf(text))).toEqual(d);
  });

  it('text that is not the export form is refused, not read as an array with no members', async () => {
    refused(() => parseMdadmDetailExport(''), /not the output of mdadm --detail --export/);
    const mdstat = await readFixture('raid', 'mdstat-clean.txt');
    refused(() => parseMdadmDetailExport(mdstat), /no MD_LEVEL or MD_UUID/);
    refused(() => parseMdadmDetailExport('Personalities : [raid1]\nmd0 : active raid1 sda1[0] sdb1[1]\n'), /no MD_LEVEL/);
  });
});

describe('plain mdadm --detail: every part of the form', () => {
  it('rows: a removed slot (old "0" and new "-" numbering), a faulty member below the table, roles', async () => {
    const kiwix = parseMdadmDetailText(await readFixture('raid', 'mdadm-detail-kiwix-514-md1.txt'));
    expect(kiwix.rows).toEqual([
      { number: null, role: 0, flags: ['removed'], device: null },
      { number: 1, role: 1, flags: ['active', 'sync'], device: '/dev/sdb3' },
      { number: 0, role: null, flags: ['faulty'], device: '/dev/sda3' },
    ]);
    expect(detailTextRoles(kiwix).roles).toEqual(new Map<string, number | string>([['/dev/sdb3', 1], ['/dev/sda3', 'faulty']]));
    const old = parseMdadmDetailText(await readFixture('raid', 'mdadm-detail-neilbrown-17-md2.txt'));
    expect(old.rows[0]).toEqual({ number: null, role: 0, flags: ['removed'], device: null });
    expect(mdStatusFromDetail(old, { 0: 'sdb', 1: 'sdc' }).members).toEqual([
      { bay: 0, device: '', state: 'missing', slot: 0 },
      { bay: 1, device: 'sdc2', state: 'active', slot: 1 },
    ]);
  });

  it('the progress lines keep their kind and percent; DELAYED is read off the state line', async () => {
    const read = async (f: string) => parseMdadmDetailText(await readFixture('raid', f));
    expect((await read('mdadm-detail-raidinfo-md127-10.txt')).progress).toEqual({ kind: 'check', percent: 82 });
    expect((await read('mdadm-detail-raidinfo-md127-8.txt')).progress).toEqual({ kind: 'resync', percent: 16 });
    expect((await read('mdadm-detail-nagios-371-md127.txt')).progress).toEqual({ kind: 'rebuild', percent: 10 });
    expect(await read('mdadm-detail-raidinfo-md0-11.txt')).toMatchObject({ states: ['clean', 'degraded', 'resyncing'], delayed: true, progress: null });
  });

  it('an IMSM container: its version, its member arrays, its disks in no slot', async () => {
    const d = parseMdadmDetailText(await readFixture('raid', 'mdadm-detail-rear-1460-imsm-container.txt'));
    expect(d).toMatchObject({ metadata: 'imsm', level: 'container', memberArrays: ['/dev/md/raid01'], raidDevices: null, workingDevices: 2 });
    expect(d.rows.map((r) => [r.device, r.role, r.flags])).toEqual([['/dev/sdb', null, []], ['/dev/sda', null, []]]);
  });

  it('writemostly and failfast are flags of an active member, and two members in one slot leave the slot to the one in sync', () => {
    // Rows in the layout of mdadm's Detail.c (no public capture of these flags with a replacement was found).
    const d = parseMdadmDetailText([
      '/dev/md0:', '           Version : 1.2', '        Raid Level : raid1', '      Raid Devices : 2', '             State : clean, recovering',
      '    Rebuild Status : 40% complete', '',
      '    Number   Major   Minor   RaidDevice State',
      '       0       8        1        0      active sync writemostly failfast   /dev/sda1',
      '       2       8       33        0      spare rebuilding replacement   /dev/sdc1',
      '       1       8       17        1      active sync   /dev/sdb1',
    ].join('\n'));
    expect(d.rows[0]!.flags).toEqual(['active', 'sync', 'writemostly', 'failfast']);
    expect(detailTextRoles(d).roles).toEqual(new Map<string, number | string>([['/dev/sda1', 0], ['/dev/sdc1', 'spare'], ['/dev/sdb1', 1]]));
    expect(mdStatusFromDetail(d, {}).members.map((m) => m.state)).toEqual(['active', 'rebuilding', 'active']);
  });

  it('CRLF reads the same; other text is refused', async () => {
    const text = await readFixture('raid', 'mdadm-detail-raidinfo-md2-5.txt');
    expect(parseMdadmDetailText(crlf(text))).toEqual(parseMdadmDetailText(text));
    refused(() => parseMdadmDetailText('MD_LEVEL=raid1\nMD_DEVICES=2\n'), /not the output of mdadm --detail/);
    refused(() => parseMdadmDetailText(''), /not the output of mdadm --detail/);
  });
});

describe('storcli: the per-virtual-drive form, the controller and its battery', () => {
  it('/c0/vall show all J: each drive under /c0/vN, its disks and their models under "PDs for VD N"', async () => {
    const json = await readFixture('raid', 'storcli-cloudpods-vall-show-all.json');
    expect(parseStorcliShowAll(json, { slotBays: { '8:0': 0, '8:1': 1 } })).toMatchObject({
      array: '0/0', level: 'raid1', state: 'clean', devicesTotal: 2, devicesInSync: 2,
      members: [
        { bay: 0, device: '8:0', state: 'active', model: 'SAMSUNG MZ7LH480HAHQ-00005' },
        { bay: 1, device: '8:1', state: 'active', model: 'SAMSUNG MZ7LH480HAHQ-00005' },
      ],
    });
    expect(parseStorcliShowAll(json, { virtualDrive: '1/1' }).members.map((m) => [m.device, m.model])).toEqual([['8:2', 'ST600MP0006'], ['8:3', 'ST600MP0006']]);
  });

  it('a controller that needs attention and a failed CacheVault: the server error LED and a ticket each, saying what to do', async () => {
    const healthy = await readFixture('raid', 'storcli-show-all-optimal.json');
    const read = (json: string) => parseStorcliShowAll(json, { slotBays: { '252:0': 0, '252:1': 1 } });
    const verdict = (json: string) => supervise(initialMemory(2), { raid: read(json), disks: null, events: [], now: 0 }, [], 70);
    const fine = verdict(healthy);
    expect(fine.tickets.map((t) => t.condition).filter((c) => /controller|battery/.test(c))).toEqual([]);
    // The same real output with the controller's status and its CacheVault's state as a failing one reports them.
    const failing = JSON.parse(healthy) as { Controllers: { 'Response Data': { Status: Record<string, string>; Cachevault_Info: { State: string }[] } }[] };
    const data = failing.Controllers[0]!['Response Data'];
    data.Status['Controller Status'] = 'Needs Attention';
    data.Cachevault_Info[0]!.State = 'Failed';
    const raid = read(JSON.stringify(failing));
    expect(raid.controller).toEqual({ status: 'Needs Attention', battery: { kind: 'CacheVault', state: 'Failed' }, needsAttention: true, statusBad: true, batteryBad: true });
    const v = verdict(JSON.stringify(failing));
    expect(v.leds.serverError).toEqual({ state: 'on' });
    expect(v.tickets.filter((t) => /controller|battery/.test(t.condition)).map((t) => [t.condition, t.severity, t.text])).toEqual([
      ['hw:raid-controller', 'error', 'The RAID controller reports its state as "Needs Attention"; read its event log for the cause and call service, as the disks\' own tickets say nothing of the controller.'],
      ['hw:cache-battery', 'warning', 'The RAID controller\'s cache CacheVault reports "Failed": the controller may stop caching writes (slower) and writes in its cache could be lost at a power cut; have the CacheVault replaced.'],
    ]);
    // A battery learning its charge is no fault.
    data.Status['Controller Status'] = 'Optimal';
    data.Cachevault_Info[0]!.State = 'Learning';
    expect(verdict(JSON.stringify(failing)).tickets.filter((t) => /controller|battery/.test(t.condition))).toEqual([]);
  });

  it('null, {}, a list, no Controllers, or JSON cut off are storcli errors with a reason', async () => {
    const json = await readFixture('raid', 'storcli-cloudpods-vall-show-all.json');
    for (const bad of ['null', '{}', '[]', '{"Controllers": []}']) refused(() => parseStorcliShowAll(bad), /no Controllers list/);
    refused(() => parseStorcliShowAll(json.slice(0, json.length / 2)), /did not answer with JSON/);
  });
});

describe('smartctl JSON: damage and every figure', () => {
  it('null, {}, a list, empty, cut off or other text is a smartctl error with a reason; CRLF reads the same', async () => {
    const text = await readFixture('disks', 'smartctl-exporter-ST3500418AS_12.json');
    for (const bad of ['null', '{}', '[]', '"ok"']) refused(() => parseSmartctlJson(0, bad, 0), /holds no reading/);
    refused(() => parseSmartctlJson(0, '', 0), /cut off or damaged/);
    refused(() => parseSmartctlJson(0, text.slice(0, text.length / 2), 0), /cut off or damaged/);
    const mdstat = await readFixture('raid', 'mdstat-clean.txt');
    refused(() => parseSmartctlJson(0, mdstat, 0), /cut off or damaged/);
    expect(parseSmartctlJson(0, crlf(text), 0)).toEqual(parseSmartctlJson(0, text, 0));
  });

  it('an attribute with when_failed set is named', async () => {
    const d = parseSmartctlJson(0, await readFixture('disks', 'smartctl-ata-failing.json'), 0);
    expect(d.smart?.failedAttributes).toEqual([{ id: 5, name: 'Reallocated_Sector_Ct', whenFailed: 'now' }]);
  });
});

describe('readings to health: a wearing disk and a pending recovery', () => {
  it('sectors reallocated, pending and uncorrectable raise the disk: amber status, server error, one ticket naming each figure', async () => {
    const worn = parseSmartctlJson(0, await readFixture('disks', 'smartctl-scrutiny-smart-ata-date2.json'), 0);
    const whole = parseSmartctlJson(1, await readFixture('disks', 'smartctl-ata-passing.json'), 0);
    const [md] = parseMdstat(await readFixture('raid', 'mdstat-clean.txt'));
    const v = supervise(initialMemory(2), { raid: mdStatus(md!, { 0: 'sdi', 1: 'sdj' }), disks: [worn, whole], events: [], now: 0 }, [], 70);
    expect(v.leds['bay0.status']).toEqual({ state: 'on' });
    expect(v.leds['bay1.status']).toEqual({ state: 'off' });
    expect(v.leds.serverError).toEqual({ state: 'on' });
    const t = v.tickets.find((x) => x.condition === 'hw:disk-wearing:bay0');
    expect(t?.wording).toEqual({ kind: 'disk-wearing', params: { bay: 0, serial: '9RK1XXXX', figures: [
      '10 reallocated sectors (SMART attribute 5)', '10 sectors pending reallocation (SMART attribute 197)', '10 uncorrectable sectors (SMART attribute 198)',
    ] } });
    expect(t?.text).toContain('10 sectors pending reallocation (SMART attribute 197)');
  });

  it('a recovery waiting behind another array is degraded at boot and lights the server error, its disk waiting amber', async () => {
    const arrays = parseMdstat(await readFixture('raid', 'mdstat-raidinfo-11.txt'));
    const raid = mdStatus(arrays.find((a) => a.name === 'md127')!, { 0: 'sda', 1: 'sdb' });
    expect(raid.state).toBe('recovery-pending');
    const v = supervise(initialMemory(2), { raid, disks: null, events: [], now: 0 }, [], 55);
    expect(v.leds.serverError).toEqual({ state: 'on' });
    expect(v.leds['bay1.status']).toEqual({ state: 'on' });
    expect(v.tickets.map((t) => t.condition)).toEqual(['hw:degraded-at-boot:md127']);
  });
});
