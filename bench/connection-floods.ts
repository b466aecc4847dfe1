/**
 * Floods of TCP connections that never send a byte (issue 10: 22 bursts of 1,000 took
 * qkmd from 65 MB to 326 MB, and the memory never came back), measured on qkmd with a
 * large keystore and, in the same run, on the bare TLS server: a plain Node TLS server
 * with our TLS policy and no connection bounds, which is what qkmd's transport was before.
 * Each burst opens BURST_SIZE connections from ADDRESSES loopback addresses (127.0.8.x),
 * holds them HOLD_MS while a library asks qkmd for a key, and hangs up. Before the bursts a
 * library works for WARM_MS (Creates on 8 connections); the level before is read once the
 * server has been quiet for a few seconds, the level after BENCH_IDLE_SECONDS after the
 * last burst.
 *
 *   npm run build && node dist/bench/connection-floods.js
 *
 * BENCH_BURSTS (22), BENCH_BURST_SIZE (1000), BENCH_IDLE_SECONDS (30) and BENCH_KEYS
 * (1,000,000: the README's memory budget is for that many) change the run.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ResultStatus } from '../src/kmip/ttlv/index.js';
import { CREATE, Frames, connectMany, exchange, statusOf } from './kmip-client.js';
import { rssMiB, settled, sleep, startBare, startQkmdWithLibrary, stopChild, type Target } from './processes.js';
import { report } from './report.js';

const envNumber = (name: string, fallback: number) => Math.max(1, Math.round(Number(process.env[name] ?? fallback)));
const BURSTS = envNumber('BENCH_BURSTS', 22);
const BURST_SIZE = envNumber('BENCH_BURST_SIZE', 1000);
const IDLE_MS = envNumber('BENCH_IDLE_SECONDS', 30) * 1000;
const KEYS = envNumber('BENCH_KEYS', 1_000_000);
const ADDRESSES = 50;
const HOLD_MS = 1000;
const WARM_MS = 3000;
/** The README's budget for qkmd with 1,000,000 keys. */
const BUDGET_MIB = 150;
/** "Near its level before": what a burst may leave behind, as a share of the level before it. */
const RETURN_TARGET = 1.25;

interface FloodFigures {
  /** Just started, before any work. */
  fresh: number;
  /** After library work and a quiet spell: the level a flood must return to. */
  before: number;
  peak: number;
  after: number;
  /** Bursts during which a library with a valid certificate was served (qkmd only). */
  served: number;
}

/** BURST_SIZE connections that say nothing, from ADDRESSES source addresses at once; resolves when each is open or refused. */
async function openSilent(port: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: BURST_SIZE },
      (_, i) =>
        new Promise<Socket>((resolve) => {
          const socket = netConnect({ port, host: '127.0.0.1', localAddress: `127.0.8.${1 + (i % ADDRESSES)}` });
          socket.on('error', () => resolve(socket));
          socket.once('connect', () => resolve(socket));
          socket.once('close', () => resolve(socket));
        }),
    ),
  );
}

/** A library's Create while the flood is held: true when it got a key. */
async function libraryServed(target: Target): Promise<boolean> {
  try {
    const frame = await exchange(target, CREATE);
    return statusOf(frame, 0, frame.length) === ResultStatus.Success;
  } catch {
    return false;
  }
}

/** Library work before the flood: 8 connections each keeping 16 Creates in flight for WARM_MS. */
async function libraryWork(target: Target): Promise<void> {
  const sockets = await connectMany(target, 8);
  let running = true;
  let done = 0;
  const bulk = Buffer.concat(Array.from({ length: 16 }, () => CREATE));
  for (const socket of sockets) {
    const frames = new Frames((_buf, starts) => {
      done += starts.length;
      if (running) socket.write(bulk.subarray(0, starts.length * CREATE.length));
    });
    socket.on('data', (d: Buffer) => frames.push(d));
    socket.write(bulk);
  }
  await sleep(WARM_MS);
  running = false;
  await sleep(500);
  for (const s of sockets) s.destroy();
  if (done === 0) throw new Error(`${target.name} answered none of the library's Creates`);
}

async function flood(target: Target, askLibrary: boolean): Promise<FloodFigures> {
  const fresh = rssMiB(target.pid);
  // A working key server has served libraries: its JavaScript heap has grown to what that
  // takes (V8 keeps a young generation of up to 32 MiB after any busy spell). What a flood
  // leaves is measured against that, not against a process that has done nothing yet.
  await libraryWork(target);
  // The level before: once the server has been quiet for a while.
  await settled(target.pid);
  await sleep(3000);
  const before = rssMiB(target.pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(target.pid))), 100);
  let served = 0;
  try {
    for (let b = 0; b < BURSTS; b++) {
      const sockets = await openSilent(target.port);
      const [ok] = await Promise.all([askLibrary ? libraryServed(target) : Promise.resolve(false), sleep(HOLD_MS)]);
      if (ok) served++;
      for (const s of sockets) s.destroy();
      await sleep(200);
    }
  } finally {
    clearInterval(sampler);
  }
  await sleep(IDLE_MS);
  return { fresh, before, peak, after: rssMiB(target.pid), served };
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(path.join(tmpdir(), 'qkm-bench-floods-'));
  const children: ChildProcess[] = [];
  try {
    const qkmd = await startQkmdWithLibrary(dir, children, { library: 'bench-lib', setSize: KEYS });
    const bare = await startBare(qkmd.dataDir, qkmd.target.tls, children);
    console.log(
      `${BURSTS} bursts of ${BURST_SIZE} TCP connections that send nothing, from ${ADDRESSES} loopback addresses, each held ${HOLD_MS / 1000} s; ` +
        `RSS read ${IDLE_MS / 1000} s after the last burst. qkmd holds ${KEYS.toLocaleString('en')} keys.`,
    );
    const q = await flood(qkmd.target, true);
    const b = await flood(bare.target, false);
    console.log(`a library was served during ${q.served} of ${BURSTS} bursts`);
    const after = `${IDLE_MS / 1000} s after the last burst`;
    report('qkmd RSS just started', q.fresh, 'MiB', { name: 'bare TLS just started', value: b.fresh });
    report('qkmd RSS after library work (before)', q.before, 'MiB', { name: 'bare TLS the same', value: b.before });
    report('qkmd RSS, highest during the bursts', q.peak, 'MiB', { name: 'qkmd before', value: q.before });
    report(`qkmd RSS ${after}`, q.after, 'MiB', { name: 'qkmd before', value: q.before }, `<= ${RETURN_TARGET}x, <= ${BUDGET_MIB} MiB`);
    report(`qkmd RSS ${after}`, q.after, 'MiB', { name: 'bare TLS after the same', value: b.after });
    report(`  bare TLS RSS ${after}`, b.after, 'MiB', { name: 'bare TLS before', value: b.before });
    const misses: string[] = [];
    if (q.served < BURSTS) misses.push(`a library was refused during ${BURSTS - q.served} bursts`);
    if (q.after > RETURN_TARGET * q.before) misses.push(`qkmd kept ${(q.after / q.before).toFixed(2)}x its RSS before the bursts (target ${RETURN_TARGET}x)`);
    if (KEYS >= 1_000_000 && q.peak > BUDGET_MIB) misses.push(`qkmd peaked at ${q.peak.toFixed(0)} MiB (budget ${BUDGET_MIB} MiB)`);
    console.log(misses.length === 0 ? 'All targets met.' : `Targets missed:\n  ${misses.join('\n  ')}`);
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    await rm(dir, { recursive: true, force: true });
    console.log(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}

await main();
