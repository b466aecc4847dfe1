import { afterEach, describe, expect, it } from 'vitest';
import type { BeepsBackend } from '../../drivers/beeps/contract.js';
import { SimBeeps } from '../../drivers/beeps/sim.js';
import { isDriverError } from '../../drivers/errors.js';
import { Agent } from '../../src/agent/agent.js';
import { postDescriber } from '../../src/hardware/beep-codes.js';
import { FAMILIES } from '../../src/hardware/families.js';
import { SimAppliance } from '../../src/hardware/sim-appliance.js';
import { agentHarness } from './harness.js';

const quiet = { warn: () => {} };

describe('the agent hearing POST beeps', () => {
  let h: ReturnType<typeof agentHarness> | undefined;
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop();
    await h?.close();
    h = agent = undefined;
  });

  /** An agent on the harness's world with a speaker of its own (the harness's agent has none). */
  async function withSpeaker(beeps: BeepsBackend) {
    h = agentHarness({ pollMs: 3_600_000 });
    const base = h;
    agent = new Agent({
      drivers: { raid: () => base.raid, disks: () => base.disks, leds: () => base.leds, beeps: () => beeps },
      tickets: h.engine.tickets, clock: h.clock, pollMs: 3_600_000, callTimeoutMs: 2_000, describePost: postDescriber(quiet),
    });
    await agent.start();
    return { h, agent };
  }

  it('a boot that beeps once opens nothing; one that beeps 1-1-3 opens a ticket at once saying what failed; the next good boot closes it', async () => {
    const speaker = new SimBeeps({ now: () => 0, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} });
    const { h, agent } = await withSpeaker(speaker);
    expect(agent.snapshot().post).toBeNull();
    speaker.play('1');
    await agent.settled();
    expect(h.open()).toEqual([]);
    expect(agent.snapshot().post?.decoding.pattern).toBe('1');

    speaker.play('1-1-3');
    await agent.settled(); // no clock movement: the speaker's change alone caused the pass
    expect(h.open()).toEqual(['hw:post-beeps:1-1-3']);
    const t = h.engine.tickets.list({ openOnly: true })[0]!;
    expect(t.severity).toBe('error');
    expect(t.text).toMatch(/^At its last start the server beeped 1-1-3: POST found a problem\. The CMOS memory could not be written and read back\. .*Quantum Service & Support\.$/);

    // A different failure at the next boot replaces it; a pattern the table lacks is still a problem.
    speaker.play('3-3-3');
    await agent.settled();
    expect(h.open()).toEqual(['hw:post-beeps:3-3-3']);
    expect(h.engine.tickets.list({ openOnly: true })[0]!.text).toMatch(/POST found a problem\. POST found a problem with the server\. Contact Quantum Service & Support/);

    speaker.play('1');
    await agent.settled();
    expect(h.open()).toEqual([]);
    expect(h.engine.tickets.list().map((x) => [x.condition, x.open])).toEqual([['hw:post-beeps:1-1-3', false], ['hw:post-beeps:3-3-3', false]]);
  });

  it('without the table, the manual\'s rule alone: one beep passes, "1 long 2 short" is a problem', async () => {
    const speaker = new SimBeeps({ now: () => 0, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} });
    h = agentHarness({ pollMs: 3_600_000 });
    const base = h;
    agent = new Agent({ drivers: { raid: () => base.raid, disks: () => base.disks, leds: () => base.leds, beeps: () => speaker }, tickets: h.engine.tickets, clock: h.clock, pollMs: 3_600_000, callTimeoutMs: 2_000 });
    await agent.start();
    speaker.play('1 long 2 short');
    await agent.settled();
    expect(h.open()).toEqual(['hw:post-beeps:1_long_2_short']);
    expect(h.engine.tickets.list({ openOnly: true })[0]!.text).toMatch(/beeped 1 long 2 short: POST found a problem\. POST found a problem with the server\. Contact Quantum Service & Support\.$/);
  });

  it('a speaker that cannot be heard is a blind driver: its ticket says so', async () => {
    const broken: BeepsBackend = { kind: 'broken', lastPost: () => Promise.reject(new Error('the board went silent')), onChange: () => () => {} };
    const { h, agent } = await withSpeaker(broken);
    expect(h.open()).toEqual([]); // one failure is a hiccup
    h.clock.advance(1_000); // the first retry
    await agent.settled();
    expect(h.open()).toContain('hw:driver-blind:beeps');
    expect(h.engine.tickets.list({ openOnly: true }).find((t) => t.condition === 'hw:driver-blind:beeps')!.text).toMatch(/cannot hear the POST beeps/);
  });
});

describe('the beeps family', () => {
  it('the simulated appliance powers on with the single beep of a passing POST; the appliance profile has no backend until the serial board\'s', async () => {
    const sim = new SimAppliance({ clock: { now: () => 0, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} }, rebuildMs: 1_000, startDelayMs: 0 });
    try {
      const speaker = FAMILIES.beeps.sim(sim)!;
      expect((await speaker.lastPost())?.decoding).toMatchObject({ pattern: '1', repeating: false });
      expect(FAMILIES.beeps.select({} as never)).toBeNull();
      try {
        sim.beeps.play('beep beep');
        expect.unreachable();
      } catch (e) {
        expect(isDriverError(e, 'PARSE_FAILED')).toBe(true);
        expect((e as Error).message).toBe('"beep beep" is not a beep pattern; write it as the tables do: 1, 1-1-3, 1 long 2 short, continuous or repeating short.');
      }
    } finally {
      await sim.close();
    }
  });
});
