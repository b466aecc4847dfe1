import { ManualClock } from '../../drivers/clock.js';
import { SimDisks } from '../../drivers/disks/sim.js';
import type { LedState } from '../../drivers/leds/contract.js';
import type { RaidEvent } from '../../drivers/raid/contract.js';
import { SimRaid } from '../../drivers/raid/sim.js';
import { SimBays } from '../../drivers/sim/bays.js';

/** A simulated appliance on a ManualClock, for supervisor and agent tests. */
export function simWorld(opts: { rebuildMs?: number; startDelayMs?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  const bays = new SimBays();
  const raid = new SimRaid({ bays, clock, rebuildMs: opts.rebuildMs ?? 45 * 60_000, startDelayMs: opts.startDelayMs ?? 5_000 });
  const disks = new SimDisks(bays);
  const events: RaidEvent[] = [];
  raid.subscribe((e) => events.push(e));
  return { clock, bays, raid, disks, events };
}

/** LED state in a short form a table can hold: off, on, flicker, blink16000. */
export function short(s: LedState): string {
  return s.state === 'blink' ? `blink${s.periodMs}` : s.state;
}
