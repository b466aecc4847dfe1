import { afterEach, describe, expect, it } from 'vitest';
import type { DiskBackend } from '../../drivers/disks/contract.js';
import type { LedBackend } from '../../drivers/leds/contract.js';
import type { RaidBackend } from '../../drivers/raid/contract.js';
import { agentHarness } from './harness.js';

let h: ReturnType<typeof agentHarness> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the agent runtime', () => {
  it('sets the panel at start and reacts to a pulled disk without waiting for the poll', async () => {
    h = agentHarness();
    await h.agent.start();
    expect(h.panel()).toMatchObject({ power: 'on', serverError: 'off', 'bay0.activity': 'blink16000', 'bay1.status': 'off' });
    h.bays.pull(1);
    await h.agent.settled(); // no clock movement: the RAID event alone caused the pass
    expect(h.panel()).toMatchObject({ serverError: 'on', 'bay1.activity': 'off' });
    expect(h.open()).toEqual(['hw:disk-missing:bay1']);
  });

  it('looks again when a time limit passes, even with no event (bay empty > 10 min)', async () => {
    h = agentHarness({ pollMs: 3_600_000 });
    await h.agent.start();
    h.bays.pull(0);
    await h.agent.settled();
    await h.advance(10 * 60_000 + 1);
    expect(h.open()).toEqual(['hw:bay-empty-long:bay0', 'hw:disk-missing:bay0']);
    h.bays.insert(0, { serial: 'NEW1' });
    await h.agent.settled();
    expect(h.panel()['bay0.activity']).toBe('blink250');
    await h.advance(5_000); // the rebuild starts: a RAID event
    expect(h.panel()).toMatchObject({ 'bay0.activity': 'flicker', 'bay1.activity': 'flicker', 'bay0.status': 'blink1000', serverError: 'off' });
  });

  it('survives a driver that throws: backs off, restarts it, says it is blind, recovers', async () => {
    let broken = false;
    const flaky = (d: DiskBackend): DiskBackend => ({
      kind: 'flaky', bays: () => d.bays(), read: (b) => d.read(b),
      readAll: () => (broken ? Promise.reject(new Error('smartctl exploded')) : d.readAll()),
    });
    h = agentHarness({ disks: flaky });
    await h.agent.start();
    broken = true;
    h.agent.kick();
    await h.agent.settled();
    expect(h.open()).toEqual([]); // one failure is a hiccup
    await h.advance(1_000); // first retry after 1 s
    expect(h.open()).toEqual(['hw:driver-blind:disks']);
    expect(h.panel().serverError).toBe('on');
    expect(h.agent.snapshot().drivers.disks).toMatchObject({ failures: 2, restarts: 1, lastError: 'smartctl exploded' });
    // The RAID still works while the disks are dark: a pulled disk still lights the panel.
    h.bays.pull(1);
    await h.agent.settled();
    expect(h.open()).toEqual(['hw:disk-missing:bay1', 'hw:driver-blind:disks']);
    broken = false;
    await h.advance(2_000);
    expect(h.open()).toEqual(['hw:disk-missing:bay1']);
    expect(h.engine.tickets.list().find((t) => t.condition === 'hw:driver-blind:disks')!.open).toBe(false);
  });

  it('starts without a driver that cannot be made (its device missing): that family is blind, and a restart that finds it recovers', async () => {
    let missing = true;
    h = agentHarness({ raidMissing: () => missing });
    await h.agent.start();
    expect(h.agent.snapshot().drivers.raid).toMatchObject({ failures: 1, lastError: '/dev/md0 is not there' });
    await h.advance(1_000); // the retry fails too: blind, and the restart cannot make it either
    expect(h.open()).toEqual(['hw:driver-blind:raid']);
    expect(h.panel().serverError).toBe('on');
    missing = false;
    await h.advance(2_000); // the next retry fails, and the restart after it finds the device
    expect(h.agent.snapshot().drivers.raid).toMatchObject({ failures: 3, restarts: 2 });
    await h.advance(4_000); // the retry after that reads it
    expect(h.open()).toEqual([]);
    expect(h.agent.snapshot().raid?.state).toBe('clean');
    expect(h.liveSubscriptions()).toBe(1);
  });

  it('survives a driver that hangs: times out, goes blind, and stop() abandons the hung call', async () => {
    let hang = false;
    const hanging = (r: RaidBackend): RaidBackend => ({ ...r, kind: 'hanging', poll: () => (hang ? new Promise(() => {}) : r.poll()), subscribe: (l) => r.subscribe(l), status: () => r.status(), close: () => r.close() });
    h = agentHarness({ raid: hanging });
    await h.agent.start();
    hang = true;
    h.agent.kick();
    await new Promise((r) => setImmediate(r));
    let settled = false;
    const s = h.agent.settled().then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // waiting on the hung driver
    await h.advance(2_000); // time-out
    await s;
    h.clock.advance(1_000); // retry, hangs again
    await new Promise((r) => setImmediate(r));
    await h.advance(2_000); // second time-out: blind
    expect(h.open()).toEqual(['hw:driver-blind:raid']);
    expect(h.panel().serverError).toBe('on');
    // Stop while a call hangs: nothing pending is left.
    h.agent.kick();
    await new Promise((r) => setImmediate(r));
    await h.agent.stop();
    expect(h.agent.holds).toBe(0);
    expect(h.clock.pendingCount).toBe(0);
    expect(h.liveSubscriptions()).toBe(0);
  });

  it('stop() leaves no timer or listener', async () => {
    h = agentHarness();
    await h.agent.start();
    expect(h.liveSubscriptions()).toBe(1);
    await h.agent.stop();
    expect(h.agent.holds).toBe(0);
    expect(h.clock.pendingCount).toBe(0);
    expect(h.liveSubscriptions()).toBe(0);
    h.bays.pull(0); // no listener: nothing happens, no throw
    await h.agent.settled();
  });

  it('asks an LED device that can go silent when there is nothing to set, and names it in the blind ticket of the pass that found it silent', async () => {
    let silent = false;
    let probes = 0;
    const lit = new Map<string, unknown>();
    const board: LedBackend = {
      kind: 'board', deviceName: 'the front-panel board on /dev/ttyS1',
      leds: () => ['power', 'serverError'],
      set: async (led, s) => {
        if (silent) throw new Error('no answer');
        lit.set(led, s);
      },
      get: async () => ({ state: 'off' }),
      probe: async () => {
        probes++;
        if (silent) throw new Error('no answer');
      },
    };
    h = agentHarness({ ledDriver: () => board });
    await h.agent.start();
    expect(lit.get('power')).toEqual({ state: 'on' });
    await h.advance(10_000); // a quiet poll: nothing to set, so the board is asked
    expect(probes).toBe(1);
    silent = true;
    await h.advance(10_000);
    await h.advance(1_000);
    expect(h.engine.tickets.list({ openOnly: true }).map((t) => t.text)).toEqual([
      "The hardware agent cannot drive the front-panel LEDs because the front-panel board on /dev/ttyS1 stopped answering; check its cable and power, see qkmd's log, and restart qkmd if it does not recover within a few minutes.",
    ]);
    silent = false;
    await h.advance(2_000);
    expect(h.open()).toEqual([]);
    expect(lit.get('serverError')).toEqual({ state: 'off' }); // the panel set again after the restart
  });
});

