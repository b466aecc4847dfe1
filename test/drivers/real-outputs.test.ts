import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMdstat } from '../../drivers/raid/mdstat.js';
import { mdStatus } from '../../drivers/raid/md-status.js';
import { parseMdadmDetailText } from '../../drivers/raid/mdadm-detail-text.js';
import { mdStatusFromDetail } from '../../drivers/raid/md-detail-status.js';
import { parseSmartctlJson } from '../../drivers/disks/smartctl.js';
import type { DiskInfo } from '../../drivers/disks/contract.js';
import { diskConcerns } from '../../src/agent/disk-figures.js';
import { FIXTURES, readFixture } from './helpers.js';

/**
 * Real outputs of /proc/mdstat, plain `mdadm --detail` and `smartctl -j` from other
 * projects' test data and bug reports (each file's `.source` says which), and the full
 * reading of each: what a person reading the file would say about every array, member
 * and disk.
 */
type ArrayReading = [string, string, string, number, number, number | null, string];
type DetailReading = [string, string, string, string | null, number, number, number | null, boolean, string];

// file -> each array: name, state, level, slots, in sync, percent, "device:state ..."
const MDSTAT: Record<string, ArrayReading[]> = {
  'mdstat-libstorage-ddf-container.txt': [
    ['md125', 'clean', 'raid1', 2, 2, null, 'sda:active sdb:active'],
    ['md126', 'clean', 'raid0', 2, 2, null, 'sda:active sdb:active'],
    ['md127', 'container', 'container', 2, 2, null, 'sdb:spare sda:spare'],
  ],
  'mdstat-libstorage-imsm-container.txt': [
    ['md125', 'clean', 'raid1', 2, 2, null, 'sda:active sdb:active'],
    ['md126', 'clean', 'raid0', 2, 2, null, 'sda:active sdb:active'],
    ['md127', 'container', 'container', 2, 2, null, 'sdb:spare sda:spare'],
  ],
  'mdstat-libstorage-inactive-noncontainer.txt': [
    ['md126', 'failed', 'unknown', 0, 0, null, 'sde1:spare'],
    ['md127', 'clean', 'raid5', 3, 3, null, 'sdb1:active sdc1:active sda1:active'],
  ],
  'mdstat-libstorage-raid0-named.txt': [
    ['md_test', 'clean', 'raid0', 2, 2, null, 'sda1:active sdb1:active'],
  ],
  'mdstat-libstorage-raid5-faulty.txt': [
    ['md0', 'clean', 'raid5', 3, 3, null, 'sdd:faulty sdc:active sdb:active sda:active'],
  ],
  'mdstat-libstorage-raid5-journal.txt': [
    ['md0', 'clean', 'raid5', 3, 3, null, 'sdd1:active sde1:active sdf1:active sdb1:journal'],
  ],
  'mdstat-procfs-676-replacement.txt': [
    ['md0', 'recovering', 'raid5', 4, 4, 1.4, 'sdk1:rebuilding sdf1:spare sdg1:active sdc1:active sde1:active sdb1:active'],
  ],
  'mdstat-pymdstat-02.txt': [
    ['md_d0', 'clean', 'raid5', 5, 5, null, 'sde1:active sdf1:active sdb1:active sdd1:active sdc1:active'],
  ],
  'mdstat-pymdstat-03.txt': [
    ['md0', 'degraded', 'raid5', 4, 3, null, 'sda1:active sdd1:active sdb1:active -:missing'],
  ],
  'mdstat-pymdstat-05.txt': [
    ['md127', 'recovering', 'raid5', 6, 5, 12.6, 'sdh1:rebuilding sdg1:active sdf1:active sde1:active sdd1:active sdc1:active'],
  ],
  'mdstat-pymdstat-07.txt': [
    ['md1', 'degraded', 'raid1', 6, 4, null, 'sde1:faulty sdg1:active sdb1:active sdd1:active sdc1:active -:missing'],
  ],
  'mdstat-pymdstat-08.txt': [
    ['md0', 'failed', 'raid5', 4, 4, null, 'sdd1:active sdc1:active sda1:active -:missing'],
  ],
  'mdstat-pymdstat-09.txt': [
    ['md0', 'clean', 'raid1', 2, 2, null, 'sdf1:active sde1:active'],
    ['md1', 'clean', 'raid1', 2, 2, null, 'sdf2:active sde2:active'],
    ['md2', 'failed', 'unknown', 0, 0, null, 'sdb:spare sdc:spare sdd:spare sda:spare'],
  ],
  'mdstat-pymdstat-10.txt': [
    ['md129', 'clean', 'raid1', 2, 2, null, 'sda3:active sdd3:active'],
    ['md128', 'clean', 'raid1', 2, 2, null, 'sda2:active sdd2:active'],
    ['md125', 'clean', 'raid0', 6, 6, null, 'sdg:active sdc:active sdf:active sdh:active sde:active sdb:active'],
    ['md126', 'clean', 'raid0', 2, 2, null, 'nvme0n1:active nvme1n1:active'],
  ],
  'mdstat-pymdstat-11.txt': [
    ['md127', 'failed', 'unknown', 2, 2, null, 'sda:active sdb:active sdc:spare'],
  ],
  'mdstat-pymdstat-12.txt': [
    ['md127', 'clean', 'raid0', 2, 2, null, 'loop1:active loop0:active'],
  ],
  'mdstat-pymdstat-13.txt': [
    ['md127', 'reshaping', 'raid4', 4, 3, 2.1, 'loop2:active loop1:active loop0:active'],
  ],
  'mdstat-pymdstat-14.txt': [
    ['md127', 'clean', 'raid0', 2, 2, null, 'sda:active sdb:active'],
  ],
  'mdstat-pymdstat-15.txt': [
    ['md3', 'clean', 'raid6', 8, 8, null, 'sdh6:active sda6:active sdg6:active sdf6:active sde6:active sdd6:active sdc6:active sdb6:active'],
    ['md2', 'clean', 'raid6', 8, 8, null, 'sdh5:active sda5:active sdg5:active sdf5:active sde5:active sdd5:active sdc5:active sdb5:active'],
    ['md1', 'clean', 'raid1', 8, 8, null, 'sdh2:active sda2:active sdb2:active sdc2:active sdd2:active sde2:active sdf2:active sdg2:active'],
    ['md0', 'clean', 'raid1', 8, 8, null, 'sdh1:active sda1:active sdb1:active sdc1:active sdd1:active sde1:active sdf1:active sdg1:active'],
  ],
  'mdstat-pymdstat-16.txt': [
    ['md1', 'clean', 'raid5', 8, 8, null, 'sdd:active sdf:active sdb:active sda:active sdh:active sdc:active sde:active sdg:active'],
  ],
  'mdstat-raidinfo-10.txt': [
    ['md1', 'clean', 'raid1', 2, 2, null, 'sdq5:active sdp5:active'],
    ['md0', 'clean', 'raid1', 2, 2, null, 'sdq1:active sdp1:active'],
    ['md4', 'clean', 'raid1', 2, 2, null, 'sdh:active sdf:active'],
    ['md126', 'clean', 'raid1', 2, 2, null, 'sde:active sdd:active'],
    ['md127', 'clean', 'raid1', 2, 2, 82.2, 'sda:active sdb:active'],
    ['md7', 'clean', 'raid1', 2, 2, null, 'sdl:active sdk:active'],
    ['md6', 'clean', 'raid1', 2, 2, null, 'sdj:active sdg:active'],
    ['md5', 'clean', 'raid1', 2, 2, null, 'sdc:active sdi:active'],
  ],
  'mdstat-raidinfo-11.txt': [
    ['md1', 'recovering', 'raid1', 2, 1, 24.8, 'sdb5:rebuilding sda5:active'],
    ['md127', 'recovery-pending', 'raid1', 2, 1, null, 'sdb6:spare sda6:active'],
    ['md0', 'recovery-pending', 'raid1', 2, 1, null, 'sdb1:spare sda1:active'],
  ],
  'mdstat-raidinfo-4.txt': [
    ['md122', 'recovering', 'raid1', 2, 1, 61, 'sdc:rebuilding sda:active'],
    ['md0', 'clean', 'raid1', 2, 2, null, 'sdp1:active sdq1:active'],
    ['md1', 'clean', 'raid1', 2, 2, null, 'sdq5:active sdp5:active'],
    ['md123', 'recovering', 'raid1', 2, 1, 72.1, 'sdd:rebuilding sde:active'],
    ['md4', 'clean', 'raid1', 2, 2, null, 'sdg:active sdh:active'],
    ['md7', 'clean', 'raid1', 2, 2, null, 'sdl:active sdj:active'],
    ['md5', 'clean', 'raid1', 2, 2, null, 'sdi:active sdk:active'],
    ['md6', 'clean', 'raid1', 2, 2, null, 'sdf:active sdb:active'],
  ],
  'mdstat-raidinfo-7.txt': [
    ['md122', 'failed', 'unknown', 0, 0, null, 'sda:spare'],
    ['md1', 'clean', 'raid1', 2, 2, null, 'sdp5:active sdq5:active'],
    ['md0', 'clean', 'raid1', 2, 2, null, 'sdp1:active sdq1:active'],
    ['md123', 'failed', 'unknown', 0, 0, null, 'sde:spare'],
    ['md4', 'clean', 'raid1', 2, 2, null, 'sdg:active sdh:active'],
    ['md7', 'clean', 'raid1', 2, 2, null, 'sdl:active sdk:active'],
    ['md6', 'clean', 'raid1', 2, 2, null, 'sdf:active sdj:active'],
    ['md5', 'clean', 'raid1', 2, 2, null, 'sdb:active sdi:active'],
  ],
  'mdstat-raidinfo-8.txt': [
    ['md3', 'resyncing', 'raid1', 2, 2, 1.7, 'sde:active sdc:active'],
    ['md1', 'clean', 'raid1', 2, 2, null, 'sdq5:active sdp5:active'],
    ['md0', 'clean', 'raid1', 2, 2, null, 'sdq1:active sdp1:active'],
    ['md127', 'resyncing', 'raid1', 2, 2, 15.9, 'sda:active sdb:active'],
    ['md4', 'clean', 'raid1', 2, 2, null, 'sdg:active sdf:active'],
    ['md6', 'resyncing', 'raid1', 2, 2, 36.1, 'sdh:active sdd:active'],
    ['md7', 'resyncing', 'raid1', 2, 2, 36.3, 'sdl:active sdk:active'],
    ['md5', 'resyncing', 'raid1', 2, 2, 36.1, 'sdi:active sdj:active'],
  ],
  'mdstat-raidinfo-9.txt': [
    ['md1', 'clean', 'raid1', 2, 2, null, 'sdq5:active sdp5:active'],
    ['md0', 'clean', 'raid1', 2, 2, null, 'sdq1:active sdp1:active'],
    ['md4', 'clean', 'raid1', 2, 2, null, 'sdh:active sdf:active'],
    ['md126', 'clean', 'raid1', 2, 2, null, 'sde:active sdd:active'],
    ['md127', 'clean', 'raid1', 2, 2, 65.2, 'sda:active sdb:active'],
    ['md7', 'clean', 'raid1', 2, 2, null, 'sdl:active sdk:active'],
    ['md6', 'clean', 'raid1', 2, 2, null, 'sdj:active sdg:active'],
    ['md5', 'clean', 'raid1', 2, 2, null, 'sdc:active sdi:active'],
  ],
};

// file -> name, state, level, metadata, slots, in sync, percent, checking, "device:slot:state ..."
const DETAIL: Record<string, DetailReading> = {
  'mdadm-detail-kiwix-514-md1.txt': ['md1', 'degraded', 'raid1', '1.2', 2, 1, null, false, '-:0:missing sdb3:1:active sda3:-:faulty'],
  'mdadm-detail-nagios-371-md127.txt': ['md127', 'recovering', 'raid1', '1.2', 2, 1, 10, false, 'sdb1:0:rebuilding sdc1:1:active'],
  'mdadm-detail-neilbrown-17-md2.txt': ['md2', 'degraded', 'raid1', '1.2', 2, 1, null, false, '-:0:missing sdc2:1:active'],
  'mdadm-detail-raidinfo-md0-1.txt': ['md0', 'clean', 'raid1', '1.2', 2, 2, null, false, 'sdb1:0:active sda1:1:active'],
  'mdadm-detail-raidinfo-md0-11.txt': ['md0', 'recovery-pending', 'raid1', '1.2', 2, 1, null, false, 'sda1:0:active sdb1:1:spare'],
  'mdadm-detail-raidinfo-md1-11.txt': ['md1', 'recovering', 'raid1', '1.2', 2, 1, 33, false, 'sdb5:0:rebuilding sda5:1:active'],
  'mdadm-detail-raidinfo-md122-4.txt': ['md122', 'recovering', 'raid1', '1.2', 2, 1, 61, false, 'sda:0:active sdc:1:rebuilding'],
  'mdadm-detail-raidinfo-md122-7.txt': ['md122', 'failed', 'raid0', '1.2', 0, 0, null, false, 'sda:-:spare'],
  'mdadm-detail-raidinfo-md127-10.txt': ['md127', 'clean', 'raid1', '1.2', 2, 2, 82, true, 'sda:0:active sdb:1:active'],
  'mdadm-detail-raidinfo-md127-8.txt': ['md127', 'resyncing', 'raid1', '1.2', 2, 2, 16, false, 'sda:0:active sdb:1:active'],
  'mdadm-detail-raidinfo-md127-9.txt': ['md127', 'clean', 'raid1', '1.2', 2, 2, 65, true, 'sda:0:active sdb:1:active'],
  'mdadm-detail-raidinfo-md2-3.txt': ['md2', 'recovering', 'raid10', '1.2', 3, 2, 81, false, 'sde:0:active sdb:1:active sdj:2:rebuilding'],
  'mdadm-detail-raidinfo-md2-5.txt': ['md2', 'degraded', 'raid10', '1.2', 3, 2, null, false, 'sdc:0:active sdf:1:active -:2:missing sdi:-:faulty'],
  'mdadm-detail-raidinfo-md2-6.txt': ['md2', 'degraded', 'raid10', '1.2', 3, 2, null, false, 'sdc:0:active sdf:1:active -:2:missing sdi:-:faulty'],
  'mdadm-detail-raidinfo-md3-2.txt': ['md3', 'resyncing', 'raid1', '1.2', 2, 2, null, false, 'nvme0n1p2:0:active nvme1n1p2:1:active'],
  'mdadm-detail-raidinfo-md3-3.txt': ['md3', 'clean', 'raid10', '1.2', 3, 3, null, false, 'sdg:0:active sdf:1:active sdk:2:active'],
  'mdadm-detail-rear-1460-imsm-container.txt': ['md127', 'container', 'container', 'imsm', 2, 2, null, false, 'sdb:-:spare sda:-:spare'],
};

// file, what the disk says, and the figures that raise its health (its ticket names them)
const SMARTCTL: [string, Partial<DiskInfo>, string[]][] = [
  ['smartctl-exporter-HGST_HUS724020ALE640_28.json', {"present":true,"model":"HGST HUS724020ALE640","serial":"REDACTED","protocol":"ATA","smartPassed":true,"temperatureC":26,"powerOnHours":83425}, []],
  ['smartctl-exporter-HP_73.4G_MAS3735NC_25.json', {"present":true,"model":"HP 73.4G MAS3735NC","serial":"REDACTED","protocol":"SCSI","smartPassed":true,"temperatureC":28,"powerOnHours":null}, []],
  ['smartctl-exporter-INTEL_SSDPE2KX080T8_1.json', {"present":true,"model":"INTEL SSDPE2KX080T8","serial":"REDACTED","protocol":"NVMe","smartPassed":true,"temperatureC":29,"powerOnHours":12164}, []],
  ['smartctl-exporter-KXG60ZNV512G_TOSHIBA_8.json', {"present":true,"model":"KXG60ZNV512G TOSHIBA","serial":"REDACTED","protocol":"NVMe","smartPassed":true,"temperatureC":35,"powerOnHours":12728}, []],
  ['smartctl-exporter-SAMSUNG_MZ7WD240HAFV-00003_21.json', {"present":true,"model":"SAMSUNG MZ7WD240HAFV-00003","serial":"REDACTED","protocol":"ATA","smartPassed":true,"temperatureC":27,"powerOnHours":84619}, []],
  ['smartctl-exporter-SEAGATE_ST373453LC_26.json', {"present":true,"model":"SEAGATE ST373453LC","serial":"REDACTED","protocol":"SCSI","smartPassed":true,"temperatureC":33,"powerOnHours":102880}, ["260 grown defects (SCSI grown defect list)"]],
  ['smartctl-exporter-SEAGATE_ST373453LC_27.json', {"present":true,"model":"SEAGATE ST373453LC","serial":"REDACTED","protocol":"SCSI","smartPassed":true,"temperatureC":34,"powerOnHours":91691}, []],
  ['smartctl-exporter-ST3500418AS_11.json', {"present":true,"model":"ST3500418AS","serial":"REDACTED","protocol":"ATA","smartPassed":true,"temperatureC":32,"powerOnHours":44670}, ["1 reallocated sector (SMART attribute 5)"]],
  ['smartctl-exporter-ST3500418AS_12.json', {"present":true,"model":"ST3500418AS","serial":"REDACTED","protocol":"ATA","smartPassed":true,"temperatureC":33,"powerOnHours":44668}, ["304 reallocated sectors (SMART attribute 5)"]],
  ['smartctl-exporter-nvme-null-HUSMR7632BHP301-nvme0.json', {"present":true,"model":"HUSMR7632BHP301","serial":"REDACTED","protocol":"NVMe","smartPassed":true,"temperatureC":40,"powerOnHours":482}, []],
  ['smartctl-exporter-nvme-null-INTEL_MEMPEK1W032GA-nvme0.json', {"present":true,"model":"INTEL MEMPEK1W032GA","serial":"REDACTED","protocol":"NVMe","smartPassed":true,"temperatureC":31,"powerOnHours":41159}, []],
  ['smartctl-exporter-nvme-null-INTEL_SSDPEDMD800G4-nvme0.json', {"present":true,"model":"INTEL SSDPEDMD800G4","serial":"REDACTED","protocol":"NVMe","smartPassed":true,"temperatureC":30,"powerOnHours":54704}, []],
  ['smartctl-exporter-nvme-null-SAMSUNG_MZWLL3T2HAJQ-00005-nvme0.json', {"present":true,"model":"SAMSUNG MZWLL3T2HAJQ-00005","serial":"REDACTED","protocol":"NVMe","smartPassed":false,"temperatureC":40,"powerOnHours":18376}, ["NVMe critical warning 0x10 (volatile memory backup failed)"]],
  ['smartctl-exporter-sat-Intel_S4510_S4610_S4500_S4600_Series_SSDs-INTEL_SSDSC2KB240G7-sdd.json', {"present":true,"model":"INTEL SSDSC2KB240G7","serial":"REDACTED","protocol":"ATA","smartPassed":true,"temperatureC":23,"powerOnHours":49466}, ["4 reallocated sectors (SMART attribute 5)"]],
  ['smartctl-exporter-sat-Phison_Driven_SSDs-KINGSTON_SA400M8120G-sda.json', {"present":true,"model":"KINGSTON SA400M8120G","serial":"REDACTED","protocol":"ATA","smartPassed":true,"temperatureC":38,"powerOnHours":4994}, []],
  ['smartctl-exporter-sat-Seagate_Exos_X16-ST16000NM001G-2KK103-sda.json', {"present":true,"model":"ST16000NM001G-2KK103","serial":"REDACTED","protocol":"ATA","smartPassed":true,"temperatureC":26,"powerOnHours":13114}, []],
  ['smartctl-scrutiny-smart-ata-date2.json', {"present":true,"model":"WDC WD140EDFZ-11A0VA0","serial":"9RK1XXXX","protocol":"ATA","smartPassed":true,"temperatureC":62,"powerOnHours":3030}, ["10 reallocated sectors (SMART attribute 5)","10 sectors pending reallocation (SMART attribute 197)","10 uncorrectable sectors (SMART attribute 198)"]],
  ['smartctl-scrutiny-smart-ata-failed-scrutiny.json', {"present":true,"model":"Samsung SSD 840 Series","serial":"S14LNEACC02756X","protocol":"ATA","smartPassed":true,"temperatureC":33,"powerOnHours":19497}, []],
  ['smartctl-scrutiny-smart-ata-full.json', {"present":true,"model":"Samsung SSD 860 EVO 500GB","serial":"S3YZNB0KB00864E","protocol":"ATA","smartPassed":true,"temperatureC":36,"powerOnHours":14551}, []],
  ['smartctl-scrutiny-smart-megaraid0.json', {"present":true,"model":"WD4000FYYX","serial":"XXXXXXXXXXXX","protocol":"ATA","smartPassed":true,"temperatureC":36,"powerOnHours":37787}, []],
  ['smartctl-scrutiny-smart-megaraid1.json', {"present":true,"model":"WD4000FYYX","serial":"XXXXXXXXXXXX","protocol":"ATA","smartPassed":true,"temperatureC":36,"powerOnHours":37788}, ["387 reallocated sectors (SMART attribute 5)"]],
  ['smartctl-scrutiny-smart-nvme-failed.json', {"present":true,"model":"Samsung SSD 970 EVO 500GB","serial":"S466NX0M776250H","protocol":"NVMe","smartPassed":true,"temperatureC":35,"powerOnHours":12798}, ["7 NVMe media errors"]],
  ['smartctl-scrutiny-smart-nvme.json', {"present":true,"model":"INTEL SSDPEKNW010T8","serial":"BTNH93710FS91P0B","protocol":"NVMe","smartPassed":true,"temperatureC":36,"powerOnHours":2401}, []],
  ['smartctl-scrutiny-smart-nvme2.json', {"present":true,"model":"Force MP510","serial":"yes","protocol":"NVMe","smartPassed":true,"temperatureC":38,"powerOnHours":6487}, []],
  ['smartctl-scrutiny-smart-raid.json', {"present":true,"model":"Intel Raid 1 Volume","serial":"Volume1","protocol":"SCSI","smartPassed":null,"temperatureC":null,"powerOnHours":null}, []],
  ['smartctl-scrutiny-smart-sat.json', {"present":true,"model":null,"serial":null,"protocol":"ATA","smartPassed":null,"temperatureC":29,"powerOnHours":null}, []],
  ['smartctl-scrutiny-smart-scsi2.json', {"present":true,"model":"SEAGATE ST1200MM0088","serial":"Z4028VRY0000C810BZXB","protocol":"SCSI","smartPassed":true,"temperatureC":31,"powerOnHours":5675}, []],
];

describe('/proc/mdstat from other projects, read in full', () => {
  for (const [file, want] of Object.entries(MDSTAT)) {
    it(file, async () => {
      const got = parseMdstat(await readFixture('raid', file)).map((a) => {
        const s = mdStatus(a, {});
        return [s.array, s.state, s.level, s.devicesTotal, s.devicesInSync, s.percent, s.members.map((m) => `${m.device || '-'}:${m.state}`).join(' ')];
      });
      expect(got).toEqual(want);
    });
  }
});

describe('plain mdadm --detail from other projects, read in full', () => {
  for (const [file, want] of Object.entries(DETAIL)) {
    it(file, async () => {
      const d = parseMdadmDetailText(await readFixture('raid', file));
      const s = mdStatusFromDetail(d, {});
      const members = s.members.map((m) => `${m.device || '-'}:${m.slot ?? '-'}:${m.state}`).join(' ');
      expect([s.array, s.state, s.level, d.metadata, s.devicesTotal, s.devicesInSync, s.percent, s.checking, members]).toEqual(want);
    });
  }
});

describe('smartctl -j from other projects, read in full', () => {
  for (const [file, want, concerns] of SMARTCTL) {
    it(file, async () => {
      const d = parseSmartctlJson(0, await readFixture('disks', file), 0);
      expect(d).toMatchObject(want);
      expect(diskConcerns(d)).toEqual(concerns);
    });
  }
});

describe('the collection', () => {
  it('holds at least 50 outputs taken from other projects, each with its source', async () => {
    const ours = [...Object.keys(MDSTAT), ...Object.keys(DETAIL), 'mdstat-libstorage-cut-off.txt'].map((f) => `raid/${f}`)
      .concat(SMARTCTL.map(([f]) => `disks/${f}`));
    expect(ours.length).toBeGreaterThanOrEqual(50);
    for (const f of ours) {
      const source = await fs.readFile(`${FIXTURES}/${f}.source`, 'utf8');
      expect(source, f).toMatch(/ @ [0-9a-f]{40}|https:\/\/github\.com\//);
    }
  });
});
