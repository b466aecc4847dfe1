/**
 * The load a benchmark puts on a KMIP server: pipelined requests over many connections,
 * measured in slices that the servers take turns at, and idle connections held then served.
 */
import { decodeResponseMessage } from '../src/kmip/messages/index.js';
import { ResultStatus, Tag, findChild, structure } from '../src/kmip/ttlv/index.js';
import { CREATE, Frames, connectMany, exchange, explain, statusOf } from './kmip-client.js';
import { cpuSeconds, deadline, rssMiB, settled, sleep, type Target } from './processes.js';

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

export interface PhaseResult {
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
 * One phase on every server, in `timing.rounds` interleaved slices (qkmd, PyKMIP, bare, qkmd, ...)
 * rather than one long stretch each: on a shared machine a disturbance then lands on all
 * servers alike instead of skewing the ratio of whichever ran during it.
 */
export async function measurePhase(
  targets: Target[],
  reqFor: (t: Target) => Buffer,
  connections: number,
  window: number,
  timing: { rounds: number; warmupMs: number; phaseMs: number },
): Promise<Map<string, PhaseResult>> {
  const slices = new Map<string, Slice[]>(targets.map((t) => [t.name, []]));
  for (let i = 0; i < timing.rounds; i++) {
    for (const t of targets) {
      // Every slice opens its connections afresh and warms up in full: PyKMIP, for one, is
      // slow on a connection's first requests, and a short warm-up would flatter our ratio.
      slices.get(t.name)!.push(await measure(t, reqFor(t), connections, window, timing.warmupMs, timing.phaseMs / timing.rounds));
      // A slow server goes on working through requests it read before the client hung up
      // (PyKMIP, for seconds): the next server's slice must not share the machine with that.
      await settled(t.pid);
    }
  }
  return new Map([...slices].map(([name, s]) => [name, phaseResult(s)]));
}

export async function createdUid(target: Target): Promise<string> {
  const frame = await exchange(target, CREATE);
  const item = decodeResponseMessage(frame).batchItems[0];
  const uid = item?.payload && findChild(structure(Tag.ResponsePayload, item.payload), Tag.UniqueIdentifier);
  if (item?.resultStatus !== ResultStatus.Success || !uid || uid.type !== 'TextString') {
    throw new Error(`${target.name} could not Create the key to Get: ${explain(frame)}`);
  }
  return uid.value;
}

export interface IdleFigures {
  connectSeconds: number;
  rssBefore: number;
  rssHeld: number;
  stillOpen: number;
  servedSeconds: number;
  answered: number;
  rssServed: number;
}

/** `count` handshakes, held idle for `holdMs`, then one Get each at once. */
export async function idleConnections(target: Target, get: Buffer, count: number, holdMs: number): Promise<IdleFigures> {
  // Read the baseline after as long a quiet spell as the held figure gets, so that the
  // garbage collection after the load phases does not land between the two readings.
  await settled(target.pid);
  await sleep(holdMs);
  const rssBefore = rssMiB(target.pid);
  const t0 = performance.now();
  const sockets = await connectMany(target, count);
  const connectSeconds = (performance.now() - t0) / 1000;
  let closed = 0;
  for (const s of sockets) s.once('close', () => closed++);
  await sleep(holdMs);
  const rssHeld = rssMiB(target.pid);
  const stillOpen = count - closed;
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
