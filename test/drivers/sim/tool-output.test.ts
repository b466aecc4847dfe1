import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/clock.js';
import { parseSmartctlJson } from '../../../drivers/disks/smartctl.js';
import { mdStatus } from '../../../drivers/raid/md-status.js';
import { parseMdadmDetailExport } from '../../../drivers/raid/mdadm-detail.js';
import { parseMdstat } from '../../../drivers/raid/mdstat.js';
import { SimToolRunner } from '../../../drivers/sim/tool-output.js';
import { SimAppliance } from '../../../src/hardware/sim-appliance.js';

let sim: SimAppliance | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** What the real md parsers make of the simulator's /proc/mdstat and `mdadm --detail --export`. */
async function readBack(tools: SimToolRunner) {
  const [array] = parseMdstat(await tools.mdstat());
  const detail = parseMdadmDetailExport((await tools.run('mdadm', ['--detail', '--export', '/dev/md0'])).stdout);
  return mdStatus(array!, { 0: 'sda', 1: 'sdb' }, detail);
}

it('answers mdstat, mdadm and smartctl so the real parsers read back the state of each step of a disk replacement', async () => {
  const clock = new ManualClock();
  sim = new SimAppliance({ clock, rebuildMs: 60_000, startDelayMs: 5_000 });
  const tools = new SimToolRunner(sim.raid, sim.disks);
  const same = async () => {
    const truth = await sim!.raid.status();
    const read = await readBack(tools);
    const byBay = (ms: typeof read.members) => ms.filter((m) => m.state !== 'missing').map((m) => [m.bay, m.state]).sort();
    expect({ state: read.state, inSync: read.devicesInSync, members: byBay(read.members) })
      .toEqual({ state: truth.state, inSync: truth.devicesInSync, members: byBay(truth.members) });
    return read;
  };

  await same(); // clean
  sim.failDisk(1);
  await same(); // a faulty member
  expect(parseSmartctlJson(1, (await tools.run('smartctl', ['-x', '-j', '/dev/sdb'])).stdout, 8).smartPassed).toBe(false);
  sim.pullDisk(1);
  expect((await same()).state).toBe('degraded');
  expect(parseSmartctlJson(1, (await tools.run('smartctl', ['-x', '-j', '/dev/sdb'])).stdout, 2).present).toBe(false);
  sim.insertDisk(1);
  clock.advance(5_000 + 30_000);
  const rebuilding = await same();
  expect(rebuilding.state).toBe('recovering');
  expect(rebuilding.percent).toBeCloseTo((await sim.raid.status()).percent!, 0);
  clock.advance(60_000);
  expect((await same()).state).toBe('clean');
  expect(parseSmartctlJson(1, (await tools.run('smartctl', ['-x', '-j', '/dev/sdb'])).stdout, 0)).toMatchObject({ present: true, smartPassed: true, serial: 'SIMR0001' });
  await expect(tools.run('mdadm', ['--zero-superblock', '/dev/sdb1'])).rejects.toThrow(/does not answer/);
});
