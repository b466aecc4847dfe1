import { describe, expect, it } from 'vitest';
import { FixtureRunner } from '../../../drivers/runner.js';
import { SmartctlDisks, parseSmartctlJson } from '../../../drivers/disks/smartctl.js';
import { SimDisks } from '../../../drivers/disks/sim.js';
import { SimBays } from '../../../drivers/sim/bays.js';
import { readFixture } from '../helpers.js';
import { diskContract, type BayCondition } from './contract.js';

const SMART: Record<BayCondition, [string, number]> = {
  healthy: ['smartctl-ata-passing.json', 0],
  failing: ['smartctl-ata-failing.json', 216],
  empty: ['smartctl-open-failed.json', 2],
};

diskContract('smartctl (recorded JSON)', async () => {
  const runner = new FixtureRunner();
  const devices = { 0: '/dev/sda', 1: '/dev/sdb' } as const;
  return {
    backend: new SmartctlDisks({ runner, bays: devices }),
    set: async (bay, condition) => {
      const [file, code] = SMART[condition];
      runner.set(`smartctl --json -a ${devices[bay as 0 | 1]}`, { stdout: await readFixture('disks', file), code });
    },
  };
});

diskContract('sim', async () => {
  const bays = new SimBays();
  let n = 0;
  return {
    backend: new SimDisks(bays),
    set: async (bay, condition) => {
      if (bays.disk(bay)) bays.pull(bay);
      if (condition !== 'empty') bays.insert(bay, { serial: `SIM${n++}` });
      if (condition === 'failing') bays.fail(bay);
    },
  };
});

describe('smartctl JSON parsing per fixture', () => {
  const read = async (file: string, code = 0) => parseSmartctlJson(0, await readFixture('disks', file), code);

  it('ATA passing: model, serial, temperature, hours, reallocated sectors', async () => {
    expect(await read('smartctl-ata-passing.json')).toEqual({
      bay: 0, present: true, model: 'WDC WD140EDFZ-11A0VA0', serial: '9RK1XXXX', protocol: 'ATA', smartPassed: true,
      temperatureC: 32, reallocatedSectors: 0, grownDefects: null, powerOnHours: 1730,
      smart: {
        pendingSectors: 0, offlineUncorrectable: 0, failedAttributes: [],
        nvmeCriticalWarning: null, nvmeMediaErrors: null, nvmePercentageUsed: null, nvmeAvailableSpare: null, nvmeAvailableSpareThreshold: null,
      },
    });
  });

  it('ATA failing: SMART verdict false and the reallocated sector count', async () => {
    expect(await read('smartctl-ata-failing.json', 216)).toMatchObject({
      model: 'Hitachi HDS721050DLE630', smartPassed: false, reallocatedSectors: 1975, temperatureC: 25, powerOnHours: 65592,
    });
  });

  it('SAS/SCSI: grown defects instead of reallocated sectors', async () => {
    expect(await read('smartctl-sas-grown-defects.json')).toMatchObject({
      protocol: 'SCSI', model: 'SEAGATE ST4000NM0043', smartPassed: true, grownDefects: 56, reallocatedSectors: null, temperatureC: 34, powerOnHours: 43549,
    });
    expect(await read('smartctl-sas-passing.json')).toMatchObject({ protocol: 'SCSI', model: 'HITACHI H109060SESUN600G', smartPassed: true, temperatureC: 26 });
  });

  it('the disk-failing exit bit wins even when the JSON has no verdict', () => {
    const d = parseSmartctlJson(1, JSON.stringify({ smartctl: { exit_status: 8 }, device: { protocol: 'ATA' }, serial_number: 'X' }), 8);
    expect(d.smartPassed).toBe(false);
  });

  it('a device that cannot be opened is an empty bay; broken output is a parse error', async () => {
    expect((await read('smartctl-open-failed.json', 2)).present).toBe(false);
    expect(() => parseSmartctlJson(0, 'smartctl: command not found', 127)).toThrow(/no readable answer/);
  });

  it('passes extra arguments for a disk behind a RAID controller', async () => {
    const runner = new FixtureRunner({ 'smartctl --json -a -d megaraid,0 /dev/sda': { stdout: await readFixture('disks', 'smartctl-ata-passing.json') } });
    const disks = new SmartctlDisks({ runner, bays: { 0: '/dev/sda' }, extraArgs: { 0: ['-d', 'megaraid,0'] } });
    expect((await disks.read(0)).present).toBe(true);
  });
});

describe('sim disks follow the simulated bays', () => {
  it('pull, insert and fail show up as presence and SMART health', async () => {
    const bays = new SimBays();
    const disks = new SimDisks(bays);
    bays.pull(1);
    expect((await disks.read(1)).present).toBe(false);
    bays.insert(1, { serial: 'REPL', protocol: 'SCSI', reallocatedSectors: 3 });
    expect(await disks.read(1)).toMatchObject({ serial: 'REPL', grownDefects: 3, reallocatedSectors: null, smartPassed: true });
    bays.fail(1);
    expect((await disks.read(1)).smartPassed).toBe(false);
  });
});
