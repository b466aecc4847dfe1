import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../drivers/clock.js';
import { SimAppliance } from '../../src/hardware/sim-appliance.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
beforeEach(() => (dir = tempDir('qkm-simworld-')));
afterEach(() => removeDir(dir));

const open = (clock: ManualClock, name = 'sim-world.json') => new SimAppliance({ clock, rebuildMs: 60_000, startDelayMs: 5_000, stateFile: path.join(dir, name) });
const members = async (s: SimAppliance) => (await s.raid.status()).members.map((m) => m.state);

it('the disks keep their state across a power loss', async () => {
  const a = open(new ManualClock());
  a.failDisk(0);
  a.pullDisk(1);
  await a.flush(); // power loss: no close(); the next start reads the world file
  const b = open(new ManualClock());
  expect(await members(b)).toEqual(['faulty', 'missing']);
  expect(b.bays.disk(0)!.spec.serial).toBe('SIM0000A');
  await b.close();
});

it('a rebuild cut short by a power loss starts again from the beginning', async () => {
  const clock = new ManualClock();
  const a = open(clock);
  a.pullDisk(1);
  expect(a.insertDisk(1)).toBe('SIMR0001');
  clock.advance(5_000 + 30_000);
  expect(await members(a)).toEqual(['active', 'rebuilding']);
  await a.flush();
  const clock2 = new ManualClock();
  const b = open(clock2);
  expect(await members(b)).toEqual(['active', 'spare']);
  expect(b.bays.disk(1)!.spec.serial).toBe('SIMR0001');
  clock2.advance(5_000);
  expect((await b.raid.status()).percent).toBe(0);
  clock2.advance(60_000);
  expect(await members(b)).toEqual(['active', 'active']);
  b.pullDisk(0);
  expect(b.insertDisk(0)).toBe('SIMR0002');
  await b.close();
});
