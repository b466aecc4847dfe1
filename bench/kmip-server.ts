/**
 * The key server's throughput and connection capacity, against two baselines measured in
 * the same run with the same client workload:
 *   - PyKMIP's reference server (Debian python3-pykmip), logging at WARNING;
 *   - a bare Node TLS server with our TLS policy that answers every frame with one canned
 *     response: no decoding, no engine. That is the ceiling of this machine and client.
 * The client is not PyKMIP's (it tops out near 1,000 operations a second): it pre-encodes
 * one TTLV request and keeps a window of them in flight on each TLS 1.2 connection.
 * This file is the phases and the report; the load is bench/kmip-load.ts, the servers
 * under test bench/processes.ts (qkmd, bare TLS) and bench/pykmip-server.ts.
 *
 *   npx tsc -p . && node dist/bench/kmip-server.js
 *
 * BENCH_SECONDS sets the measured seconds of each phase (default 2); QKMD_NODE_ARGS are
 * node options for qkmd (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"); BENCH_ONLY runs only
 * the phases whose label contains it (e.g. "1 at a time") and skips the idle connections;
 * BENCH_ROUNDS sets how many slices each phase is cut into (default 4).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { CREATE, getRequest } from './kmip-client.js';
import { createdUid, idleConnections, measurePhase } from './kmip-load.js';
import { groups, startBare, startQkmdWithLibrary, stopChild, type Target } from './processes.js';
import { startPykmip } from './pykmip-server.js';
import { report } from './report.js';

const PHASE_MS = Math.max(0.5, Number(process.env.BENCH_SECONDS ?? 2)) * 1000;
const ONLY = process.env.BENCH_ONLY;
const WARMUP_MS = 500;
/** Each phase runs as this many slices per server, the servers taking turns (BENCH_ROUNDS). */
const ROUNDS = Math.max(1, Math.round(Number(process.env.BENCH_ROUNDS ?? 4)));
/** Requests kept in flight on each connection (qkmd reads up to 32 queued frames ahead). */
const WINDOW = 16;
const CONNECTIONS = [1, 8, 64] as const;
const IDLE_CONNECTIONS = 1000;
const IDLE_HOLD_MS = 3000;
const LIBRARY = 'bench-lib';
/** Enough keys that no Create phase runs the set dry (generation runs at ~30,000 keys a second). */
const SET_SIZE = 150_000;

/** qkmd with the benchmark's library and a set big enough for every Create phase. */
async function startQkmd(dir: string, children: ChildProcess[]): Promise<{ target: Target; child: ChildProcess }> {
  const { target, child } = await startQkmdWithLibrary(dir, children, { library: LIBRARY, setSize: SET_SIZE });
  return { target: { ...target, name: 'qkmd' }, child };
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(path.join(tmpdir(), 'qkm-bench-kmip-'));
  const children: ChildProcess[] = [];
  const misses: string[] = [];
  try {
    const qkmd = await startQkmd(dir, children);
    const bare = await startBare(path.join(dir, 'qkmd'), qkmd.target.tls, children);
    let pykmip: { target: Target; child: ChildProcess } | undefined;
    let pykmipMissing: string | undefined;
    try {
      pykmip = await startPykmip(dir, children);
    } catch (e) {
      pykmipMissing = (e as Error).message;
      console.log(`PyKMIP's server could not start (${pykmipMissing}); its baselines are missing from this run.`);
    }
    const targets = [qkmd.target, ...(pykmip ? [pykmip.target] : []), bare.target];

    const gets = new Map<string, Buffer>();
    for (const t of targets) gets.set(t.name, t === bare.target ? getRequest('canned') : getRequest(await createdUid(t)));

    console.log(
      `KMIP 1.2 over TLS 1.2; window ${WINDOW} requests per connection; ${PHASE_MS / 1000} s per phase and server, in ${ROUNDS} slices taking turns; ` +
        `3 servers in separate processes on this ${cpus().length}-CPU machine, client in this one.`,
    );
    console.log(
      "Create: qkmd allocates the next key of the library's pre-generated set (tape semantics); PyKMIP's server cannot, " +
        'so the same plain Create makes it mint a fresh key. The bare server answers a canned Get response to both.',
    );

    const phases: Array<{ op: 'Get' | 'Create'; connections: number; window: number }> = [
      ...CONNECTIONS.map((connections) => ({ op: 'Get' as const, connections, window: WINDOW })),
      // What a tape library does: one request, wait for its answer, the next.
      { op: 'Get', connections: 1, window: 1 },
      ...CONNECTIONS.map((connections) => ({ op: 'Create' as const, connections, window: WINDOW })),
    ];
    for (const { op, connections: n, window } of phases) {
      const label = `${op}, ${n} connection${n > 1 ? 's' : ''}${window === 1 ? ', 1 at a time' : ''}`;
      if (ONLY !== undefined && !label.includes(ONLY)) continue;
      const results = await measurePhase(targets, (t) => (op === 'Get' ? gets.get(t.name)! : CREATE), n, window, { rounds: ROUNDS, warmupMs: WARMUP_MS, phaseMs: PHASE_MS });
      for (const [name, r] of results) {
        if (r.failures > 0) console.log(`  ${name} ${op} x${n}: ${r.failures} failed responses; first: ${r.firstFailure}`);
      }
      const q = results.get('qkmd')!;
      const b = results.get('bare TLS')!;
      const ours = q.opsPerSec;
      const ceiling = b.opsPerSec;
      const py = results.get('PyKMIP')?.opsPerSec;
      if (py !== undefined) {
        const tenfold = window === WINDOW && n === 1;
        report(`qkmd ${label}`, ours, 'ops/s', { name: 'PyKMIP', value: py }, tenfold ? '>= 10x' : undefined);
        if (tenfold && ours < 10 * py) misses.push(`qkmd ${label}: ${(ours / py).toFixed(1)}x PyKMIP (target 10x)`);
      } else {
        console.log(`qkmd ${label}: ${fmt(ours)} ops/s (PyKMIP baseline missing: ${pykmipMissing})`);
      }
      report(`qkmd ${label}`, ours, 'ops/s', { name: 'bare TLS', value: ceiling }, '>= 0.50x');
      if (ours < 0.5 * ceiling) misses.push(`qkmd ${label}: ${(ours / ceiling).toFixed(2)}x the bare TLS server (target 0.50x)`);
      if (py !== undefined) report(`  PyKMIP ${label}${op === 'Create' ? ' (plain Create)' : ''}`, py, 'ops/s', { name: 'bare TLS', value: ceiling });
      report(`  qkmd CPU per request`, q.serverCpuUs, 'us', { name: 'bare TLS', value: b.serverCpuUs });
      console.log(`    (client CPU per request: ${q.clientCpuUs.toFixed(0)} us against qkmd, ${b.clientCpuUs.toFixed(0)} us against bare TLS)`);
    }

    if (ONLY !== undefined) return;
    // Capacity: connections held idle, then all served at once.
    const idle = await idleConnections(qkmd.target, gets.get('qkmd')!, IDLE_CONNECTIONS, IDLE_HOLD_MS);
    const idleBare = await idleConnections(bare.target, gets.get('bare TLS')!, IDLE_CONNECTIONS, IDLE_HOLD_MS);
    console.log(
      `${IDLE_CONNECTIONS} idle connections: qkmd accepted them in ${idle.connectSeconds.toFixed(1)} s ` +
        `(bare TLS: ${idleBare.connectSeconds.toFixed(1)} s); ${idle.stillOpen} still open after ${IDLE_HOLD_MS / 1000} s idle; ` +
        `then one Get each: ${idle.answered} answered in ${idle.servedSeconds.toFixed(2)} s (bare TLS: ${idleBare.answered} in ${idleBare.servedSeconds.toFixed(2)} s).`,
    );
    report('qkmd RSS before the idle connections', idle.rssBefore, 'MiB', { name: 'bare TLS', value: idleBare.rssBefore });
    report(`qkmd RSS, ${IDLE_CONNECTIONS} idle connections held`, idle.rssHeld, 'MiB', { name: 'bare TLS', value: idleBare.rssHeld });
    report(`qkmd RSS, after serving them`, idle.rssServed, 'MiB', { name: 'bare TLS', value: idleBare.rssServed });
    report(
      'qkmd RSS per idle connection',
      ((idle.rssHeld - idle.rssBefore) * 1024) / IDLE_CONNECTIONS,
      'KiB',
      { name: 'bare TLS', value: ((idleBare.rssHeld - idleBare.rssBefore) * 1024) / IDLE_CONNECTIONS },
    );
    if (idle.stillOpen < IDLE_CONNECTIONS) misses.push(`qkmd closed ${IDLE_CONNECTIONS - idle.stillOpen} idle connections within ${IDLE_HOLD_MS / 1000} s`);
    if (idle.answered < IDLE_CONNECTIONS) misses.push(`qkmd answered ${idle.answered} of ${IDLE_CONNECTIONS} held connections`);

    console.log(misses.length === 0 ? 'All targets met.' : `Targets missed:\n  ${misses.join('\n  ')}`);
  } finally {
    const stopping = performance.now();
    await Promise.all(children.map((c) => stopChild(c, groups.has(c) ? 2000 : 5000)));
    await rm(dir, { recursive: true, force: true });
    console.log(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s, of which ${((performance.now() - stopping) / 1000).toFixed(1)} s stopping the servers)`);
  }
}

await main();
