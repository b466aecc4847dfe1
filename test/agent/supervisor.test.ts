import { describe, expect, it } from 'vitest';
import { initialMemory, type AgentMemory } from '../../src/agent/memory.js';
import { supervise, type Verdict } from '../../src/agent/supervisor.js';
import type { DriverFamily } from '../../src/agent/health.js';
import { short, simWorld } from './world.js';

type World = ReturnType<typeof simWorld>;
const MIN = 60_000;

/** One row: what the engineer (or time) does, then what the front panel and the tickets must say. */
interface Step {
  does: string;
  act?: (w: World) => void;
  wait?: number;
  /** Short LED forms: err = server error, hdd = HDD activity, a0/s0 = bay 0 activity/status, ... */
  leds: Partial<Record<'power' | 'hdd' | 'err' | 'cd' | 'a0' | 's0' | 'a1' | 's1', string>>;
  tickets: string[];
}

const IDLE = 'blink16000';

async function walk(steps: Step[], w = simWorld()) {
  // The agent has been running on a whole mirror before the first step.
  let memory: AgentMemory = supervise(initialMemory(2), { raid: await w.raid.status(), disks: await w.disks.readAll(), events: w.events.splice(0), now: w.clock.now() }, [], 55).memory;
  const seen: Verdict[] = [];
  for (const step of steps) {
    step.act?.(w);
    if (step.wait) w.clock.advance(step.wait);
    const v = supervise(memory, { raid: await w.raid.status(), disks: await w.disks.readAll(), events: w.events.splice(0), now: w.clock.now() }, [], 55);
    memory = v.memory;
    seen.push(v);
    const l = v.leds;
    const got = { power: short(l.power), hdd: short(l.hddActivity), err: short(l.serverError), cd: short(l.cdActivity), a0: short(l['bay0.activity']), s0: short(l['bay0.status']), a1: short(l['bay1.activity']), s1: short(l['bay1.status']) };
    expect({ step: step.does, ...got }).toMatchObject({ step: step.does, ...step.leds });
    expect({ step: step.does, tickets: v.tickets.map((t) => t.condition).sort() }).toEqual({ step: step.does, tickets: [...step.tickets].sort() });
  }
  return seen;
}

describe('supervisor: the manual\'s disk replacement, step by step', () => {
  it('a disk fails, is pulled, a blank one goes in and is rebuilt', async () => {
    const seen = await walk([
      { does: 'both disks idle', leds: { power: 'on', hdd: IDLE, err: 'off', cd: 'off', a0: IDLE, s0: 'off', a1: IDLE, s1: 'off' }, tickets: [] },
      { does: 'disk 1 fails', act: (w) => w.bays.fail(1), leds: { err: 'on', a0: IDLE, s0: 'off', a1: 'off', s1: 'on' }, tickets: ['hw:disk-failed:bay1'] },
      { does: 'pull the failed disk', act: (w) => w.bays.pull(1), leds: { err: 'on', a1: 'off', s1: 'off' }, tickets: ['hw:disk-missing:bay1'] },
      { does: 'walk to the spares cupboard', wait: 3 * MIN, leds: { err: 'on', a1: 'off', s1: 'off' }, tickets: ['hw:disk-missing:bay1'] },
      { does: 'insert a blank disk', act: (w) => w.bays.insert(1, { serial: 'NEW00001' }), wait: 1_000, leds: { err: 'on', a1: 'blink250', s1: 'on' }, tickets: [] },
      { does: 'rebuild starts after ~5 s', wait: 4_000, leds: { err: 'off', hdd: 'blink250', a0: 'flicker', s0: 'off', a1: 'flicker', s1: 'blink1000' }, tickets: ['hw:rebuild-started:bay1'] },
      { does: 'a third of the way', wait: 15 * MIN, leds: { err: 'off', a0: 'flicker', a1: 'flicker', s1: 'blink1000' }, tickets: ['hw:rebuild-progress:bay1:25'] },
      { does: 'past half way', wait: 12 * MIN, leds: { a0: 'flicker', a1: 'flicker', s1: 'blink1000' }, tickets: ['hw:rebuild-progress:bay1:50'] },
      { does: 'past three quarters', wait: 8 * MIN, leds: { a1: 'flicker' }, tickets: ['hw:rebuild-progress:bay1:75'] },
      { does: 'rebuild done', wait: 10 * MIN, leds: { err: 'off', hdd: IDLE, a0: IDLE, s0: 'off', a1: IDLE, s1: 'off' }, tickets: ['hw:rebuild-finished:bay1'] },
      { does: 'an hour later the notice is history', wait: 61 * MIN, leds: { err: 'off', a0: IDLE, a1: IDLE, s1: 'off' }, tickets: [] },
    ]);
    expect(seen[1]!.tickets[0]!.text).toMatch(/disk SIM0000B in bay 1 has failed.*pull it from bay 1 and insert a blank disk/);
    expect(seen[2]!.tickets[0]!.text).toMatch(/Bay 1 is empty \(disk SIM0000B was removed\).*insert a replacement disk in bay 1/);
  });

  it('the new disk is faulty: its status LED stays amber after the rebuild fails', async () => {
    await walk([
      { does: 'pull disk 0', act: (w) => w.bays.pull(0), leds: { err: 'on', a0: 'off', s0: 'off', a1: IDLE }, tickets: ['hw:disk-missing:bay0'] },
      { does: 'insert a faulty blank disk', act: (w) => w.bays.insert(0, { serial: 'BAD00001', faulty: true }), leds: { err: 'on', a0: 'blink250', s0: 'on' }, tickets: ['hw:smart-failing:bay0'] },
      { does: 'rebuild starts', wait: 5_000, leds: { a0: 'flicker', s0: 'blink1000', a1: 'flicker' }, tickets: ['hw:rebuild-started:bay0', 'hw:smart-failing:bay0'] },
      { does: 'it fails part-way', wait: 20 * MIN, leds: { err: 'on', a0: 'off', s0: 'on', a1: IDLE, s1: 'off' }, tickets: ['hw:rebuild-failed:bay0'] },
      { does: 'pull the faulty disk', act: (w) => w.bays.pull(0), leds: { err: 'on', a0: 'off', s0: 'off' }, tickets: ['hw:disk-missing:bay0'] },
    ]);
  });

  it('a bay left empty for more than 10 minutes asks for cooling', async () => {
    await walk([
      { does: 'pull disk 1', act: (w) => w.bays.pull(1), leds: { err: 'on' }, tickets: ['hw:disk-missing:bay1'] },
      { does: 'ten minutes on the dot', wait: 10 * MIN, leds: { err: 'on' }, tickets: ['hw:disk-missing:bay1'] },
      { does: 'a moment more', wait: 1_000, leds: { err: 'on' }, tickets: ['hw:disk-missing:bay1', 'hw:bay-empty-long:bay1'] },
      { does: 'insert a disk', act: (w) => w.bays.insert(1, { serial: 'NEW00002' }), leds: { a1: 'blink250', s1: 'on' }, tickets: [] },
    ]);
  });

  it('two disks out at once is critical', async () => {
    const seen = await walk([
      { does: 'disk 0 fails', act: (w) => w.bays.fail(0), leds: { err: 'on', s0: 'on' }, tickets: ['hw:disk-failed:bay0'] },
      { does: 'the good disk is pulled by mistake', act: (w) => w.bays.pull(1), leds: { err: 'on', s0: 'on', a1: 'off', hdd: 'off' }, tickets: ['hw:disk-failed:bay0', 'hw:disk-missing:bay1', 'hw:disks-out'] },
      { does: 'it goes back in', act: (w) => w.bays.insert(1, { serial: 'SIM0000B', blank: false }), leds: { err: 'on', s0: 'on' }, tickets: ['hw:disk-failed:bay0', 'hw:disks-out'] },
    ]);
    expect(seen[1]!.health.disksOut).toBe(2);
    expect(seen[1]!.tickets.find((t) => t.condition === 'hw:disks-out')!.severity).toBe('critical');
  });

  it('hot disk, SMART warning, degraded at boot, blind driver, CD in use', async () => {
    const w = simWorld();
    w.bays.pull(1);
    const disks = await w.disks.readAll();
    disks[0] = { ...disks[0]!, temperatureC: 61, smartPassed: false };
    const boot = supervise(initialMemory(2), { raid: await w.raid.status(), disks, events: [], now: w.clock.now() }, [], 55, true);
    expect(boot.tickets.map((t) => t.condition).sort()).toEqual(['hw:degraded-at-boot:md0', 'hw:disk-missing:bay1', 'hw:smart-failing:bay0', 'hw:temperature-high:bay0']);
    expect(boot.tickets.find((t) => t.condition === 'hw:temperature-high:bay0')!.text).toMatch(/61 °C.*check the fans/);
    expect(short(boot.leds['bay0.status'])).toBe('on');
    expect(short(boot.leds.cdActivity)).toBe('on');
    // Blind to the RAID: the last memory stays, the panel says "error", a ticket says why.
    const blind: DriverFamily[] = ['raid'];
    const v = supervise(boot.memory, { raid: null, disks: null, events: [], now: w.clock.now() + 1000 }, blind, 55);
    expect(short(v.leds.serverError)).toBe('on');
    expect(v.tickets.map((t) => t.condition)).toContain('hw:driver-blind:raid');
    expect(v.tickets.find((t) => t.condition === 'hw:driver-blind:raid')!.text).toMatch(/cannot read the RAID array/);
  });

  it('the boot ticket clears once the mirror is whole', async () => {
    const w = simWorld({ rebuildMs: 60_000, startDelayMs: 1_000 });
    w.bays.pull(1);
    w.bays.insert(1, { serial: 'NEW00003' });
    let m = initialMemory(2);
    const read = async () => {
      const v = supervise(m, { raid: await w.raid.status(), disks: await w.disks.readAll(), events: w.events.splice(0), now: w.clock.now() }, [], 55);
      m = v.memory;
      return v.tickets.map((t) => t.condition);
    };
    expect(await read()).toEqual(['hw:degraded-at-boot:md0']);
    w.clock.advance(2_000);
    expect(await read()).toEqual(['hw:rebuild-started:bay1', 'hw:degraded-at-boot:md0']);
    w.clock.advance(60_000);
    expect(await read()).toEqual(['hw:rebuild-finished:bay1']);
  });
});
