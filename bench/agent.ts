/**
 * The hardware agent, measured on the simulated appliance with a real keystore for its
 * tickets (SQLite on a temp dir), each figure next to a same-run baseline:
 *   - reaction: a disk pulled -> server-error LED lit and "disk missing" ticket open
 *     (target <= 100 ms), against a bare setImmediate round trip;
 *   - idle CPU: the agent polling a quiet appliance every second (ten times the default
 *     rate), against this same Node process idling for the same time (target <= 1 % of a core);
 *   - memory: heap and RSS after start and after 10,000 passes, against the process before start.
 *
 *   npx tsc -p . && node dist/bench/agent.js      (BENCH_AGENT_PASSES=40000 to look harder for growth)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SystemClock } from '../drivers/clock.js';
import { Agent, type PassReport } from '../src/agent/agent.js';
import { SimAppliance } from '../src/hardware/sim-appliance.js';
import { KeyEngine } from '../src/engine/key-engine.js';
import { Keystore } from '../src/engine/keystore.js';
import { realWorld } from '../src/engine/world.js';
import { median, percentile, report } from './report.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

async function setImmediateRoundTrip(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await new Promise((r) => setImmediate(r));
    out.push(ms(t, process.hrtime.bigint()));
  }
  return out;
}

/** Percent of one core used over `forMs` of wall time. */
async function cpuPercent(forMs: number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(forMs);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1000 / ms(t0, process.hrtime.bigint())) * 100;
}

const mib = (b: number) => b / 1024 / 1024;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-agent-'));
  const store = Keystore.open(dir, realWorld, { create: true, serial: 'BENCH0001' });
  const engine = new KeyEngine(store, { serial: 'BENCH0001', setSizes: { i500: 8, i2000: 8 }, depletionPercent: 80, requireBackup: false }, realWorld);
  const clock = new SystemClock();
  const sim = new SimAppliance({ clock, rebuildMs: 30, startDelayMs: 0 });
  const agent = new Agent({
    drivers: { raid: () => sim.raid, disks: () => sim.disks, leds: () => sim.leds },
    tickets: engine.tickets, clock, pollMs: 1_000, callTimeoutMs: 5_000,
  });

  // Baselines first, on a process that has everything loaded but no agent running.
  const idleBase = await cpuPercent(3_000);
  gc();
  const memBase = process.memoryUsage();
  const tick = await setImmediateRoundTrip(2_000);

  await agent.start();
  gc();
  const memStarted = process.memoryUsage();

  // Reaction: pull disk 1 and time until a pass has lit the server-error LED and opened the ticket.
  const reactions: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t0 = process.hrtime.bigint();
    const seen = new Promise<number>((resolve) => {
      const off = agent.onPass((r: PassReport) => {
        if (r.tickets.opened.includes('hw:disk-missing:bay1') && r.snapshot.applied.serverError?.state === 'on') {
          off();
          resolve(ms(t0, process.hrtime.bigint()));
        }
      });
    });
    sim.pullDisk(1);
    reactions.push(await seen);
    sim.insertDisk(1); // rebuilds in 30 ms
    while ((await sim.raid.status()).state !== 'clean') await sleep(5);
    await agent.settled();
  }
  await sleep(100);

  // Idle: a quiet, whole mirror; the agent polls every second.
  const idleAgent = await cpuPercent(5_000);

  // Memory after many passes: growth here would be a leak.
  const PASSES = Number(process.env.BENCH_AGENT_PASSES ?? 10_000);
  for (let i = 0; i < PASSES; i++) {
    agent.kick();
    await agent.settled();
  }
  gc();
  const memAfter = process.memoryUsage();

  const tickMed = median(tick);
  report('reaction: disk pulled -> LED + ticket, median', median(reactions), 'ms', { name: 'setImmediate round trip', value: tickMed }, '<= 100 ms');
  report('reaction: disk pulled -> LED + ticket, p99', percentile(reactions, 99), 'ms', { name: 'setImmediate round trip', value: tickMed }, '<= 100 ms');
  report('reaction: worst of 60', Math.max(...reactions), 'ms', { name: 'setImmediate round trip', value: tickMed });
  report('idle CPU, agent polling every 1 s', idleAgent, '% core', { name: 'idle node process', value: idleBase }, '<= 1 % of a core');
  report('heap used, agent started', mib(memStarted.heapUsed), 'MiB', { name: 'heap before start', value: mib(memBase.heapUsed) });
  report(`heap used after ${PASSES} more passes`, mib(memAfter.heapUsed), 'MiB', { name: 'heap after start', value: mib(memStarted.heapUsed) });
  report(`RSS after ${PASSES} more passes`, mib(memAfter.rss), 'MiB', { name: 'RSS before start', value: mib(memBase.rss) });

  await agent.stop();
  await sim.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const ok = percentile(reactions, 99) <= 100 && idleAgent <= 1;
  if (!ok) console.log('agent bench: a target was missed');
  process.exitCode = ok ? 0 : 1;
}

await main();
