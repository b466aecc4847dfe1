import { ManualClock } from '../../../drivers/clock.js';
import { FileRoot, FixtureRunner } from '../../../drivers/runner.js';
import { MdRaid } from '../../../drivers/raid/md.js';
import { StorcliRaid } from '../../../drivers/raid/storcli.js';
import { SimRaid } from '../../../drivers/raid/sim.js';
import { SimBays } from '../../../drivers/sim/bays.js';
import { makeTempRoot, plant, readFixture, removeTempRoot } from '../helpers.js';
import { raidContract, type ShowableState } from './contract.js';

const MD_FIXTURES: Record<ShowableState, string> = {
  clean: 'mdstat-clean-after-recovery.txt',
  degraded: 'mdstat-degraded.txt',
  recovering: 'mdstat-recovery-8.5.txt',
};

raidContract('md (/proc/mdstat in a temp root)', async () => {
  const root = await makeTempRoot('qkm-raid-');
  return {
    backend: new MdRaid({ root: new FileRoot(root), bays: { 0: 'sda', 1: 'sdc' } }),
    show: async (state) => plant(root, '/proc/mdstat', await readFixture('raid', MD_FIXTURES[state])),
    states: ['clean', 'degraded', 'recovering'],
    cleanup: () => removeTempRoot(root),
  };
});

raidContract('storcli (recorded JSON)', async () => {
  const runner = new FixtureRunner();
  const backend = new StorcliRaid({ runner, slotBays: { '252:0': 0, '252:1': 1 } });
  return {
    backend,
    show: async (state) => {
      const file = state === 'clean' ? 'storcli-show-all-optimal.json' : 'storcli-show-all-degraded.json';
      runner.set('storcli /c0 show all J', { stdout: await readFixture('raid', file) });
    },
    // The recorded degraded output has a drive rebuilding; no capture shows a bare degraded VD.
    states: ['clean', 'recovering'],
  };
});

raidContract('sim (md-like RAID 1 on a manual clock)', async () => {
  const clock = new ManualClock();
  const bays = new SimBays();
  const backend = new SimRaid({ bays, clock, rebuildMs: 45 * 60_000, startDelayMs: 5_000 });
  let serial = 0;
  return {
    backend,
    states: ['clean', 'degraded', 'recovering'],
    show: async (state) => {
      const s = (await backend.status()).state;
      if (state === 'clean' && s !== 'clean') clock.advance(46 * 60_000);
      if (state === 'degraded') bays.pull(1);
      if (state === 'recovering') {
        bays.insert(1, { serial: `NEW${serial++}` });
        clock.advance(5_000 + 60_000);
      }
    },
  };
});
