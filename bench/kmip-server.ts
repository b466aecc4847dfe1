/**
 * The key server's throughput and connection capacity, against two baselines measured in
 * the same run with the same client workload:
 *   - PyKMIP's reference server (Debian python3-pykmip), logging at WARNING;
 *   - a bare Node TLS server with our TLS policy that answers every frame with one canned
 *     response: no decoding, no engine. That is the ceiling of this machine and client.
 * The client is not PyKMIP's (it tops out near 1,000 operations a second): it pre-encodes
 * one TTLV request and keeps a window of them in flight on each TLS 1.2 connection.
 *
 *   npx tsc -p . && node dist/bench/kmip-server.js
 *
 * BENCH_SECONDS sets the measured seconds of each phase (default 2); QKMD_NODE_ARGS are
 * node options for qkmd (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"); BENCH_ONLY runs only
 * the phases whose label contains it (e.g. "1 at a time") and skips the idle connections;
 * BENCH_ROUNDS sets how many slices each phase is cut into (default 4).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, connect as netConnect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { decodeResponseMessage, encodeResponseMessage } from '../src/kmip/messages/index.js';
import { keyServerTlsOptions } from '../src/kmip/tls/tls-policy.js';
import {
  CryptographicAlgorithm,
  KeyFormatType,
  ObjectType,
  Operation,
  ResultStatus,
  Tag,
  byteString,
  enumeration,
  findChild,
  integer,
  structure,
  textString,
} from '../src/kmip/ttlv/index.js';
import { CREATE, Frames, VERSION_1_2, connectMany, exchange, explain, getRequest, statusOf } from './kmip-client.js';
import {
  cpuSeconds,
  deadline,
  groups,
  rssMiB,
  settled,
  sleep,
  startBare,
  startQkmdWithLibrary,
  stopChild,
  type Target,
} from './processes.js';
import { PYKMIP_MAKE_CERTS, PYKMIP_SERVER_CONF } from './pykmip-fixtures.js';
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
const PYKMIP_SERVER = '/usr/bin/pykmip-server';

// ---- requests and responses --------------------------------------------------------------

/** What the bare server answers to everything: a Get response of a real Get's size. */
function cannedGetResponse(): Buffer {
  const block = structure(Tag.KeyBlock, [
    enumeration(Tag.KeyFormatType, KeyFormatType.Raw),
    structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, new Uint8Array(32).fill(0x5a))]),
    enumeration(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
    integer(Tag.CryptographicLength, 256),
  ]);
  return Buffer.from(
    encodeResponseMessage({
      protocolVersion: VERSION_1_2,
      timeStamp: new Date(),
      batchItems: [
        {
          operation: Operation.Get,
          resultStatus: ResultStatus.Success,
          payload: [
            enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
            textString(Tag.UniqueIdentifier, 'SIM-0000000000000000-000000'),
            structure(Tag.SymmetricKey, [block]),
          ],
        },
      ],
    }),
  );
}

// ---- a pipelining client ---------------------------------------------------------------------

/** What one slice of a phase saw on one server; slices add up. */
interface Slice {
  completed: number;
  seconds: number;
  /** CPU time (user + system) in seconds: the server's, and this client's. */
  serverCpu: number;
  clientCpu: number;
  failures: number;
  firstFailure?: string;
}

interface PhaseResult {
  opsPerSec: number;
  /** CPU time per completed request, in µs: the server's, and this client's. */
  serverCpuUs: number;
  clientCpuUs: number;
  failures: number;
  firstFailure?: string;
}

function phaseResult(slices: Slice[]): PhaseResult {
  const sum = (f: (s: Slice) => number) => slices.reduce((n, s) => n + f(s), 0);
  const completed = Math.max(1, sum((s) => s.completed));
  const firstFailure = slices.find((s) => s.firstFailure !== undefined)?.firstFailure;
  return {
    opsPerSec: sum((s) => s.completed) / sum((s) => s.seconds),
    serverCpuUs: (sum((s) => s.serverCpu) * 1e6) / completed,
    clientCpuUs: (sum((s) => s.clientCpu) * 1e6) / completed,
    failures: sum((s) => s.failures),
    ...(firstFailure !== undefined && { firstFailure }),
  };
}

/**
 * `connections` sockets, each keeping `window` copies of `req` in flight; counts the
 * responses completed during `ms` after `warmupMs`. Afterwards the window drains.
 */
async function measure(target: Target, req: Buffer, connections: number, window: number, warmupMs: number, ms: number): Promise<Slice> {
  const sockets = await connectMany(target, connections);
  const bulk = Buffer.concat(Array.from({ length: window }, () => req));
  let running = true;
  let completed = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const closedEarly: string[] = [];

  for (const socket of sockets) {
    const frames = new Frames((buf, starts, ends) => {
      const n = starts.length;
      for (let i = 0; i < n; i++) {
        if (statusOf(buf, starts[i]!, ends[i]!) !== ResultStatus.Success) {
          failures++;
          firstFailure ??= explain(Buffer.from(buf.subarray(starts[i], ends[i])));
        }
      }
      completed += n;
      inFlight -= n;
      if (running) {
        socket.write(n === window ? bulk : bulk.subarray(0, n * req.length));
        inFlight += n;
      } else if (inFlight === 0) drained?.();
    });
    socket.on('data', (d: Buffer) => frames.push(d));
    socket.once('close', () => {
      if (running) closedEarly.push('closed by the server');
    });
    socket.write(bulk);
    inFlight += window;
  }

  await sleep(warmupMs);
  const c0 = completed;
  const t0 = process.hrtime.bigint();
  const server0 = cpuSeconds(target.pid);
  const client0 = process.cpuUsage();
  await sleep(ms);
  const c1 = completed;
  const t1 = process.hrtime.bigint();
  const serverCpu = cpuSeconds(target.pid) - server0;
  const clientCpu = process.cpuUsage(client0);
  running = false;
  if (inFlight > 0) {
    // A slow server (PyKMIP) may still hold a full window per connection: give it a moment, then hang up.
    await Promise.race([new Promise<void>((r) => (drained = r)), deadline(3000)]);
  }
  for (const s of sockets) s.destroy();
  if (closedEarly.length > 0) {
    failures += closedEarly.length;
    firstFailure ??= `${closedEarly.length} connection(s) closed by the server mid-phase`;
  }
  return {
    completed: c1 - c0,
    seconds: Number(t1 - t0) / 1e9,
    serverCpu,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6,
    failures,
    ...(firstFailure !== undefined && { firstFailure }),
  };
}

/**
 * One phase on every server, in ROUNDS interleaved slices (qkmd, PyKMIP, bare, qkmd, ...)
 * rather than one long stretch each: on a shared machine a disturbance then lands on all
 * servers alike instead of skewing the ratio of whichever ran during it.
 */
async function measurePhase(targets: Target[], reqFor: (t: Target) => Buffer, connections: number, window: number): Promise<Map<string, PhaseResult>> {
  const slices = new Map<string, Slice[]>(targets.map((t) => [t.name, []]));
  for (let i = 0; i < ROUNDS; i++) {
    for (const t of targets) {
      // Every slice opens its connections afresh and warms up in full: PyKMIP, for one, is
      // slow on a connection's first requests, and a short warm-up would flatter our ratio.
      slices.get(t.name)!.push(await measure(t, reqFor(t), connections, window, WARMUP_MS, PHASE_MS / ROUNDS));
      // A slow server goes on working through requests it read before the client hung up
      // (PyKMIP, for seconds): the next server's slice must not share the machine with that.
      await settled(t.pid);
    }
  }
  return new Map([...slices].map(([name, s]) => [name, phaseResult(s)]));
}

// ---- processes ----------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`${what} exited with ${child.exitCode} before listening`));
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** qkmd with the benchmark's library and a set big enough for every Create phase. */
async function startQkmd(dir: string, children: ChildProcess[]): Promise<{ target: Target; child: ChildProcess }> {
  const { target, child } = await startQkmdWithLibrary(dir, children, { library: LIBRARY, setSize: SET_SIZE });
  return { target: { ...target, name: 'qkmd' }, child };
}

/** PyKMIP's server from the project's template, certificates from make-certs.sh in our temp dir. */
async function startPykmip(dir: string, children: ChildProcess[]): Promise<{ target: Target; child: ChildProcess }> {
  const certDir = path.join(dir, 'pykmip');
  const gen = spawnSync('sh', [PYKMIP_MAKE_CERTS, certDir], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`make-certs.sh failed: ${gen.stderr}`);
  await mkdir(path.join(certDir, 'policies'), { recursive: true });
  const port = await freePort();
  const template = await readFile(PYKMIP_SERVER_CONF, 'utf8');
  // The template logs at WARNING: the baseline is measured as PyKMIP would be run in earnest.
  const conf = template.replaceAll('{{DIR}}', certDir).replaceAll('{{PORT}}', String(port));
  const confFile = path.join(certDir, 'server.conf');
  await writeFile(confFile, conf);
  // Its own process group: the server forks helper processes that a signal to it alone leaves behind.
  const child = spawn(PYKMIP_SERVER, ['-f', confFile, '-l', path.join(certDir, 'server.log')], {
    cwd: certDir,
    stdio: 'ignore',
    detached: true,
  });
  groups.add(child);
  children.push(child);
  await waitForPort(port, child, 30_000, 'pykmip-server');
  const tls = {
    ca: await readFile(path.join(certDir, 'ca.crt'), 'utf8'),
    cert: await readFile(path.join(certDir, 'client.crt'), 'utf8'),
    key: await readFile(path.join(certDir, 'client.key'), 'utf8'),
  };
  return { target: { name: 'PyKMIP', port, tls, pid: child.pid! }, child };
}

/** `--bare-server TLSDIR`: a TLS server with our policy that answers every frame at once. */
async function bareServer(tlsDir: string): Promise<void> {
  const [ca, cert, key] = await Promise.all(['ca.pem', 'server.pem', 'server.key'].map((f) => readFile(path.join(tlsDir, f), 'utf8')));
  const canned = cannedGetResponse();
  const bulk = Buffer.concat(Array.from({ length: 64 }, () => canned));
  const server = createTlsServer(keyServerTlsOptions({ caCertPem: ca!, serverCertPem: cert!, serverKeyPem: key! }, 10_000), (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const frames = new Frames((_buf, starts) => {
      let n = starts.length;
      while (n > 0) {
        const k = Math.min(n, 64);
        socket.write(k === 64 ? bulk : bulk.subarray(0, k * canned.length));
        n -= k;
      }
    });
    socket.on('data', (d: Buffer) => frames.push(d));
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`bare listening on ${(server.address() as { port: number }).port}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
  process.once('disconnect', () => process.exit(0));
}

// ---- the run -------------------------------------------------------------------------------------

async function createdUid(target: Target): Promise<string> {
  const frame = await exchange(target, CREATE);
  const item = decodeResponseMessage(frame).batchItems[0];
  const uid = item?.payload && findChild(structure(Tag.ResponsePayload, item.payload), Tag.UniqueIdentifier);
  if (item?.resultStatus !== ResultStatus.Success || !uid || uid.type !== 'TextString') {
    throw new Error(`${target.name} could not Create the key to Get: ${explain(frame)}`);
  }
  return uid.value;
}

interface IdleFigures {
  connectSeconds: number;
  rssBefore: number;
  rssHeld: number;
  stillOpen: number;
  servedSeconds: number;
  answered: number;
  rssServed: number;
}

/** IDLE_CONNECTIONS handshakes, held idle, then one Get each at once. */
async function idleConnections(target: Target, get: Buffer): Promise<IdleFigures> {
  // Read the baseline after as long a quiet spell as the held figure gets, so that the
  // garbage collection after the load phases does not land between the two readings.
  await settled(target.pid);
  await sleep(IDLE_HOLD_MS);
  const rssBefore = rssMiB(target.pid);
  const t0 = performance.now();
  const sockets = await connectMany(target, IDLE_CONNECTIONS, 50);
  const connectSeconds = (performance.now() - t0) / 1000;
  let closed = 0;
  for (const s of sockets) s.once('close', () => closed++);
  await sleep(IDLE_HOLD_MS);
  const rssHeld = rssMiB(target.pid);
  const stillOpen = IDLE_CONNECTIONS - closed;
  let answered = 0;
  const t1 = performance.now();
  await Promise.race([
    Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve) => {
            const frames = new Frames((buf, starts, ends) => {
              if (statusOf(buf, starts[0]!, ends[0]!) === ResultStatus.Success) answered++;
              resolve();
            });
            s.on('data', (d: Buffer) => frames.push(d));
            s.once('close', () => resolve());
            s.write(get);
          }),
      ),
    ),
    deadline(30_000),
  ]);
  const servedSeconds = (performance.now() - t1) / 1000;
  const rssServed = rssMiB(target.pid);
  for (const s of sockets) s.destroy();
  await sleep(200);
  return { connectSeconds, rssBefore, rssHeld, stillOpen, servedSeconds, answered, rssServed };
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
      const results = await measurePhase(targets, (t) => (op === 'Get' ? gets.get(t.name)! : CREATE), n, window);
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
    const idle = await idleConnections(qkmd.target, gets.get('qkmd')!);
    const idleBare = await idleConnections(bare.target, gets.get('bare TLS')!);
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

if (process.argv[2] === '--bare-server') {
  await bareServer(process.argv[3]!);
} else {
  await main();
}
