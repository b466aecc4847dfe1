/**
 * What a library pays that opens a connection for each key request: connect, the mutual
 * TLS handshake, one Get, close. Median time (and the server's CPU per exchange) for three
 * clients, against three servers measured in the same run, taking turns:
 *   - qkmd (its RSA-3072 and ECDSA P-256 server certificates, session tickets);
 *   - a bare Node TLS server holding the same certificates and policy, answering a canned
 *     Get response (bench/bare-tls-server.ts): the ceiling;
 *   - PyKMIP's server (Debian python3-pykmip), RSA-2048 as make-certs.sh makes it, TLS 1.2 only.
 * The clients:
 *   - RSA: an RSA client certificate, offering RSA signatures only (older library firmware);
 *   - ECDSA: an ECDSA P-256 client certificate, offering ECDSA first (Node's default);
 *   - resuming: the ECDSA client offering the session ticket of its previous exchange.
 * Against PyKMIP the ECDSA client's certificate is issued by PyKMIP's CA; PyKMIP's server
 * has only its RSA certificate, so it signs with RSA whatever the client offers.
 *
 *   npx tsc -p . && node dist/bench/handshake.js
 *
 * BENCH_EXCHANGES sets the exchanges per client and server (default 200), in slices of
 * BENCH_SLICE (default 10) that the servers take turns at, so that a shared machine's
 * changing load falls on all of them alike.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { extract } from 'tar';
import { issueClientCertificate } from '../src/pki/index.js';
import { Frames, getRequest, statusOf } from './kmip-client.js';
import { createdUid } from './kmip-load.js';
import { cpuSeconds, groups, qkmcmds, startBare, startQkmdWithLibrary, stopChild, type ClientTls, type Target } from './processes.js';
import { startPykmip } from './pykmip-server.js';
import { median, percentile, report } from './report.js';

const EXCHANGES = Math.max(10, Math.round(Number(process.env.BENCH_EXCHANGES ?? 200)));
const SLICE = Math.max(1, Math.round(Number(process.env.BENCH_SLICE ?? 10)));
const ROUNDS = Math.ceil(EXCHANGES / SLICE);
const WARMUP = 10;
const LIBRARY = 'bench-lib';
const SUCCESS = 0;

type ClientKind = 'RSA' | 'ECDSA' | 'resuming';
const CLIENTS: readonly ClientKind[] = ['RSA', 'ECDSA', 'resuming'];
type Version = 'TLSv1.2' | 'TLSv1.3';

/** A server under test with what each client presents to it and the Get it answers. */
interface Server {
  target: Target;
  /** The ECDSA client certificate this server's CA issued. */
  ecdsa: ClientTls;
  get: Buffer;
  versions: readonly Version[];
}

/** Signature algorithms of a client that handles RSA only (at TLS 1.2 and 1.3). */
const RSA_SIGALGS = 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pkcs1_sha256:rsa_pkcs1_sha384';

interface Exchange {
  ms: number;
  reused: boolean;
  serverKey: string;
  session?: Buffer;
}

/** One connection: handshake, one Get, its answer, close; the time from connect to closed. */
function exchangeOnce(server: Server, kind: ClientKind, version: Version, session: Buffer | undefined): Promise<Exchange> {
  const tls = kind === 'RSA' ? server.target.tls : server.ecdsa;
  const options: ConnectionOptions = {
    host: '127.0.0.1',
    port: server.target.port,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    minVersion: version,
    maxVersion: version,
    checkServerIdentity: () => undefined,
    ...(kind === 'RSA' && { sigalgs: RSA_SIGALGS }),
    ...(kind === 'resuming' && session && { session }),
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let latest: Buffer | undefined;
    let reused = false;
    let serverKey = '?';
    let answered = false;
    const socket = tlsConnect(options);
    socket.setNoDelay(true);
    socket.on('session', (s: Buffer) => {
      latest = s;
    });
    socket.once('secureConnect', () => {
      reused = socket.isSessionReused();
      serverKey = socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType ?? '?';
      socket.write(server.get);
    });
    const frames = new Frames((buf, starts, ends) => {
      const status = statusOf(buf, starts[0]!, ends[0]!);
      if (status !== SUCCESS) return fail(new Error(`${server.target.name} answered the Get with status ${status}`));
      answered = true;
      socket.destroy();
    });
    socket.on('data', (d: Buffer) => frames.push(d));
    const fail = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.once('error', fail);
    socket.once('close', () => {
      if (!answered) return reject(new Error(`${server.target.name} closed the connection before answering (${kind}, ${version})`));
      resolve({ ms: performance.now() - started, reused, serverKey, session: latest });
    });
  });
}

interface Cell {
  ms: number[];
  reused: number;
  serverKeys: Set<string>;
  serverCpu: number;
}

/** `n` exchanges one after another; the resuming client carries its session from one to the next. */
async function run(server: Server, kind: ClientKind, version: Version, n: number, cell: Cell, carried: { session?: Buffer }): Promise<void> {
  const cpuBefore = cpuSeconds(server.target.pid);
  for (let i = 0; i < n; i++) {
    const r = await exchangeOnce(server, kind, version, carried.session);
    if (r.session) carried.session = r.session;
    cell.ms.push(r.ms);
    if (r.reused) cell.reused++;
    cell.serverKeys.add(r.serverKey);
  }
  cell.serverCpu += cpuSeconds(server.target.pid) - cpuBefore;
}

/** The library's ECDSA bundle from qkmd, unpacked. */
async function ecdsaBundle(dir: string, dataDir: string): Promise<ClientTls> {
  const out = path.join(dir, 'ecdsa');
  await mkdir(out);
  const file = path.join(out, 'bundle.tgz');
  qkmcmds(['--data-dir', dataDir, 'certs', 'library-bundle', '--library', LIBRARY, '--out', file, '--key-type', 'ecdsa'], {});
  await extract({ file, cwd: out });
  const [ca, cert, key] = await Promise.all(['ca.pem', 'client.pem', 'client.key'].map((f) => readFile(path.join(out, f), 'utf8')));
  return { ca: ca!, cert: cert!, key: key! };
}

/**
 * An ECDSA client certificate from PyKMIP's own CA (make-certs.sh's ca.key), for its server,
 * with the RSA client's name: PyKMIP lets only the client that created a key Get it.
 */
async function pykmipEcdsaClient(dir: string, tls: ClientTls): Promise<ClientTls> {
  const caKey = await readFile(path.join(dir, 'pykmip', 'ca.key'), 'utf8');
  const client = issueClientCertificate({ certPem: tls.ca, keyPem: caKey }, { library: 'pykmip-fixture-client', now: new Date(), keyType: 'ecdsa' });
  return { ca: tls.ca, cert: client.certPem, key: client.keyPem };
}

const fmt = (ms: number) => ms.toFixed(2);

async function main(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(path.join(tmpdir(), 'qkm-bench-handshake-'));
  const children: ChildProcess[] = [];
  const misses: string[] = [];
  try {
    const qkmd = await startQkmdWithLibrary(dir, children, { library: LIBRARY, setSize: 1000 });
    const ecdsa = await ecdsaBundle(dir, qkmd.dataDir);
    const bare = await startBare(qkmd.dataDir, qkmd.target.tls, children);
    const both: readonly Version[] = ['TLSv1.2', 'TLSv1.3'];
    const servers: Server[] = [
      { target: qkmd.target, ecdsa, get: getRequest(await createdUid(qkmd.target)), versions: both },
      { target: bare.target, ecdsa, get: getRequest('canned'), versions: both },
    ];
    let pykmipMissing: string | undefined;
    try {
      const py = await startPykmip(dir, children);
      servers.push({ target: py.target, ecdsa: await pykmipEcdsaClient(dir, py.target.tls), get: getRequest(await createdUid(py.target)), versions: ['TLSv1.2'] });
    } catch (e) {
      pykmipMissing = (e as Error).message;
      console.log(`PyKMIP's server could not start (${pykmipMissing}); its column is missing from this run.`);
    }

    console.log(
      `connect + mutual TLS handshake + one KMIP 1.2 Get + close, one after another; ${ROUNDS * SLICE} exchanges per client and server in slices of ${SLICE} taking turns; ` +
        `servers in separate processes on this ${cpus().length}-CPU machine (load average ${loadavg()[0]!.toFixed(1)} at the start), clients in this one. ` +
        'Median (p90) in ms; server CPU per exchange in ms, which a busy machine blurs less than the time.',
    );

    const cells = new Map<string, Cell>();
    const key = (s: Server, kind: ClientKind, v: Version) => `${s.target.name}|${kind}|${v}`;
    for (const version of both) {
      for (const kind of CLIENTS) {
        const carried = new Map<string, { session?: Buffer }>();
        for (const s of servers.filter((x) => x.versions.includes(version))) {
          // Warm-up, and the resuming client's first session.
          const c = { session: undefined as Buffer | undefined };
          carried.set(s.target.name, c);
          await run(s, kind, version, WARMUP, { ms: [], reused: 0, serverKeys: new Set(), serverCpu: 0 }, c);
          cells.set(key(s, kind, version), { ms: [], reused: 0, serverKeys: new Set(), serverCpu: 0 });
        }
        for (let round = 0; round < ROUNDS; round++) {
          for (const s of servers.filter((x) => x.versions.includes(version))) {
            await run(s, kind, version, SLICE, cells.get(key(s, kind, version))!, carried.get(s.target.name)!);
          }
        }
      }
    }

    const medianOf = (s: Server, kind: ClientKind, v: Version) => median(cells.get(key(s, kind, v))!.ms);
    const cpuOf = (s: Server, kind: ClientKind, v: Version) => {
      const c = cells.get(key(s, kind, v))!;
      return (c.serverCpu * 1000) / c.ms.length;
    };
    const [q, b, py] = servers;
    for (const version of both) {
      const pyHere = py?.versions.includes(version) ? py : undefined;
      console.log(`\n${version}:`);
      for (const kind of CLIENTS) {
        for (const s of servers.filter((x) => x.versions.includes(version))) {
          const c = cells.get(key(s, kind, version))!;
          console.log(
            `  ${`${kind} client -> ${s.target.name}`.padEnd(30)} ${fmt(median(c.ms)).padStart(7)} ms (p90 ${fmt(percentile(c.ms, 90))})` +
              `  server CPU ${fmt((c.serverCpu * 1000) / c.ms.length)} ms  server key ${[...c.serverKeys].join('/')}` +
              `  resumed ${Math.round((100 * c.reused) / c.ms.length)} %`,
          );
        }
      }
      for (const kind of CLIENTS) {
        const ours = medianOf(q!, kind, version);
        const ceiling = medianOf(b!, kind, version);
        const target = kind === 'ECDSA' ? '<= 1.25x' : undefined;
        report(`qkmd, ${kind} client, ${version}`, ours, 'ms', { name: 'bare TLS', value: ceiling }, target);
        if (target && ours > 1.25 * ceiling) misses.push(`qkmd ECDSA ${version}: ${(ours / ceiling).toFixed(2)}x the bare TLS server (target 1.25x)`);
        if (pyHere) {
          const theirs = medianOf(pyHere, kind, version);
          const third = kind === 'ECDSA' ? '<= 0.33x' : undefined;
          report(`qkmd, ${kind} client, ${version}`, ours, 'ms', { name: 'PyKMIP', value: theirs }, third);
          if (third && ours * 3 > theirs) misses.push(`qkmd ECDSA ${version}: ${(ours / theirs).toFixed(2)}x PyKMIP (target under 0.33x)`);
        }
      }
      for (const kind of CLIENTS) {
        report(`  server CPU, ${kind} client, ${version}`, cpuOf(q!, kind, version), 'ms', { name: 'bare TLS', value: cpuOf(b!, kind, version) });
        if (pyHere) report(`  server CPU, ${kind} client, ${version}`, cpuOf(q!, kind, version), 'ms', { name: 'PyKMIP', value: cpuOf(pyHere, kind, version) });
      }
      if (!pyHere) console.log(`  (PyKMIP: ${pykmipMissing ?? "its server speaks TLS 1.2 only (auth_suite TLS1.2)"})`);
    }
    console.log(misses.length === 0 ? '\nAll targets met.' : `\nTargets missed:\n  ${misses.join('\n  ')}`);
  } finally {
    await Promise.all(children.map((c) => stopChild(c, groups.has(c) ? 2000 : 5000)));
    await rm(dir, { recursive: true, force: true });
    console.log(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}

await main();
