import { afterEach, expect, it } from 'vitest';
import { agentHarness } from './harness.js';

let h: ReturnType<typeof agentHarness> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MIN = 60_000;
const WEEK = 7 * 24 * 60 * MIN;

it('a year of weekly disk swaps, each with a full rebuild, leaks no ticket, timer or listener', async () => {
  h = agentHarness({ rebuildMs: 45 * MIN, pollMs: 10_000 });
  await h.agent.start();
  const baseline = { pending: h.clock.pendingCount, holds: h.agent.holds };
  let failedRebuilds = 0;
  for (let week = 0; week < 52; week++) {
    const bay = week % 2;
    const start = h.clock.now();
    // Every fifth week the engineer's disk is a dud: the rebuild fails and it is swapped again.
    const dud = week % 5 === 4;
    h.bays.fail(bay);
    await h.advance(30 * MIN);
    expect(h.open()).toEqual([`hw:disk-failed:bay${bay}`]);
    h.bays.pull(bay);
    await h.advance(2 * MIN);
    h.bays.insert(bay, { serial: `W${week}`, faulty: dud });
    await h.advance(6_000);
    if (dud) {
      await h.advance(20 * MIN);
      expect(h.open()).toEqual([`hw:rebuild-failed:bay${bay}`]);
      failedRebuilds++;
      h.bays.pull(bay);
      await h.advance(MIN);
      h.bays.insert(bay, { serial: `W${week}R` });
      await h.advance(6_000);
    }
    for (let i = 0; i < 10; i++) await h.advance(5 * MIN);
    expect(h.panel()).toMatchObject({ serverError: 'off', [`bay${bay}.status`]: 'off', 'bay0.activity': 'blink16000', 'bay1.activity': 'blink16000' });
    expect(h.open()).toEqual([`hw:rebuild-finished:bay${bay}`]);
    await h.advance(WEEK - (h.clock.now() - start));
    expect(h.open()).toEqual([]);
    expect(h.clock.pendingCount).toBe(baseline.pending);
    expect(h.agent.holds).toBe(baseline.holds);
    expect(h.liveSubscriptions()).toBe(1);
  }
  const history = h.engine.tickets.list();
  expect(history.every((t) => !t.open)).toBe(true);
  const count = (c: string) => history.filter((t) => t.condition.startsWith(c)).length;
  expect(count('hw:disk-failed')).toBe(52);
  expect(count('hw:rebuild-finished')).toBe(52);
  expect(count('hw:rebuild-failed')).toBe(failedRebuilds);
  expect(count('hw:rebuild-progress')).toBe(52 * 3);
  await h.agent.stop();
  expect(h.clock.pendingCount).toBe(0);
  expect(h.agent.holds).toBe(0);
  expect(h.liveSubscriptions()).toBe(0);
});
