import { randomBytes } from 'node:crypto';
import { SimLeds } from '../../drivers/leds/sim.js';
import type { DiskBackend } from '../../drivers/disks/contract.js';
import type { LedBackend } from '../../drivers/leds/contract.js';
import type { RaidBackend, RaidListener } from '../../drivers/raid/contract.js';
import { Agent, type AgentOptions } from '../../src/agent/agent.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';
import { short, simWorld } from './world.js';

/** Counts live subscriptions so a test can prove the agent leaves none behind. */
export function countingRaid(inner: RaidBackend) {
  let live = 0;
  const raid: RaidBackend = {
    kind: inner.kind,
    status: () => inner.status(),
    poll: () => inner.poll(),
    subscribe(l: RaidListener) {
      live++;
      const off = inner.subscribe(l);
      let done = false;
      return () => {
        if (!done) live--;
        done = true;
        off();
      };
    },
    close: () => inner.close(),
  };
  return { raid, live: () => live };
}

/** An agent on a simulated appliance and a ManualClock, with a real keystore for tickets. */
export function agentHarness(
  opts: {
    rebuildMs?: number;
    startDelayMs?: number;
    disks?: (d: DiskBackend) => DiskBackend;
    raid?: (r: RaidBackend) => RaidBackend;
    /** While this says so, making the RAID driver fails, as when its device is missing. */
    raidMissing?: () => boolean;
    /** Another LED driver than the simulated panel (the serial board on a pty). */
    ledDriver?: () => LedBackend;
  } & Partial<AgentOptions> = {},
) {
  const w = simWorld(opts);
  const dir = tempDir('qkm-agent-');
  const engine: KeyEngine = openEngine(dir, {}, { now: () => w.clock.now(), randomBytes });
  const leds = new SimLeds(undefined, () => w.clock.now());
  const counted = countingRaid(opts.raid ? opts.raid(w.raid) : w.raid);
  const disks = opts.disks ? opts.disks(w.disks) : w.disks;
  const agent = new Agent({
    drivers: {
      raid: () => {
        if (opts.raidMissing?.()) throw new Error('/dev/md0 is not there');
        return counted.raid;
      },
      disks: () => disks, leds: opts.ledDriver ?? (() => leds) },
    tickets: engine.tickets,
    clock: w.clock,
    pollMs: 10_000,
    callTimeoutMs: 2_000,
    ...opts,
  });
  const panel = () => Object.fromEntries(Object.entries(leds.snapshot()).map(([k, v]) => [k, short(v)]));
  const open = () => engine.tickets.list({ openOnly: true }).map((t) => t.condition).sort();
  /** Moves simulated time and lets every pass it caused finish. */
  const advance = async (ms: number) => {
    w.clock.advance(ms);
    await agent.settled();
  };
  const close = async () => {
    await agent.stop();
    engine.store.close();
    removeDir(dir);
  };
  return { ...w, engine, leds, agent, panel, open, advance, close, liveSubscriptions: counted.live };
}
