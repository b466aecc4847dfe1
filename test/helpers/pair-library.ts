/**
 * The whole system on loopback: two paired qkmd processes and simulated tape libraries
 * whose one bundle (from either server) reaches both. Shared by the end-to-end tests, the
 * SIGKILL loop over replication and the failover benchmark's test twin.
 */
import path from 'node:path';
import { expect } from 'vitest';
import { libraryBundle, writeLibraryConfig } from '../../harness/library.js';
import { realWorld } from '../../src/engine/index.js';
import { loadLibraryConfig } from '../../src/library/config.js';
import { SimulatedLibrary } from '../../src/library/library.js';
import { silentLog } from '../../src/logs/logger.js';
import { type PairServerProcess, freePort, pairEnv, pairUp, readKeystore, startPaired } from './pair.js';

export interface ServerPair {
  a: PairServerProcess;
  b: PairServerProcess;
}

/** Two servers A (primary) and B (secondary), paired, with sets of `keys` keys (both classes). */
export async function startServerPair(root: string, o: { keys: number; serials?: [string, string]; env?: Record<string, string> }): Promise<ServerPair> {
  const [portA, portB] = [await freePort(), await freePort()];
  const [serialA, serialB] = o.serials ?? ['QKME2EA1', 'QKME2EB1'];
  const common = { QKM_KEYS_I500: String(o.keys), QKM_KEYS_I2000: String(o.keys), QKM_PAIR_GENERATION_TIMEOUT_SECONDS: '3', ...o.env };
  const envA = { ...pairEnv({ role: 'primary', serial: serialA, port: portA, peer: `127.0.0.1:${portB}` }), ...common };
  const envB = { ...pairEnv({ role: 'secondary', serial: serialB, port: portB, peer: `127.0.0.1:${portA}` }), ...common };
  const [a, b] = await Promise.all([startPaired(path.join(root, 'a'), envA), startPaired(path.join(root, 'b'), envB)]);
  await pairUp(a, b);
  // Restarts keep the key server's port: the libraries are configured with it.
  a.env.QKM_KMIP_PORT = String(a.qkmd.port);
  b.env.QKM_KMIP_PORT = String(b.qkmd.port);
  return { a, b };
}

/** Starts the server again on its ports, after a SIGKILL or a stop. */
export function restart(s: PairServerProcess): Promise<PairServerProcess> {
  return startPaired(s.dir, s.env);
}

export async function kill(s: PairServerProcess): Promise<void> {
  s.qkmd.child.kill('SIGKILL');
  await s.qkmd.exited;
}

/**
 * A library's configuration: its bundle made on `bundleFrom` (either server: the bundle
 * trusts both), the primary and secondary key servers, one partition of `drives` drives.
 */
export async function libraryConfig(root: string, o: { library: string; bundleFrom: PairServerProcess; pair: ServerPair; cls?: 'i500' | 'i2000'; drives?: number }): Promise<string> {
  const dir = path.join(root, `lib-${o.library}`);
  const bundle = await libraryBundle(o.bundleFrom.dir, o.library, path.join(root, `${o.library}.tgz`));
  return writeLibraryConfig(path.join(root, `${o.library}.toml`), {
    cls: o.cls ?? 'i500',
    bundle,
    stateDir: dir,
    ports: [o.pair.a.qkmd.port, o.pair.b.qkmd.port],
    partitions: { P1: Array.from({ length: o.drives ?? 4 }, (_, i) => `D${i + 1}`) },
    timeoutSeconds: 5,
  });
}

/** The library of `config`, as a freshly started library (the primary first). */
export function openLibrary(config: string): Promise<SimulatedLibrary> {
  return SimulatedLibrary.open(loadLibraryConfig(config), realWorld, silentLog);
}

interface KeyRow { name: string; state: string; tape: string | null }

/**
 * The two servers agree: each holds a copy of every key of the other with the same state
 * and tape, each has applied every entry of the other's journal, and each journal is
 * acknowledged to its end (so trimmed).
 */
export function expectCopiesAgree({ a, b }: ServerPair): void {
  for (const [from, to] of [[a, b], [b, a]] as const) {
    const own = readKeystore(from.dir, (db) => db.prepare("SELECT name, state, tape FROM keys WHERE origin = 'local' ORDER BY name").all() as KeyRow[]);
    const copy = readKeystore(to.dir, (db) => db.prepare("SELECT name, state, tape FROM keys WHERE origin = 'peer' AND name LIKE ? ORDER BY name").all(`${from.serial}-%`) as KeyRow[]);
    expect(copy.length, `${to.serial}'s copy of ${from.serial}'s keys`).toBe(own.length);
    expect(copy).toEqual(own);
    const last = readKeystore(from.dir, (db) => (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'journal'").pluck().get() as number | undefined) ?? 0);
    const applied = readKeystore(to.dir, (db) => db.prepare('SELECT applied_seq FROM peers WHERE name = ?').pluck().get(from.serial) as number);
    expect(applied, `${to.serial} applied ${from.serial}'s journal`).toBe(last);
    expect(readKeystore(from.dir, (db) => db.prepare('SELECT COUNT(*) FROM journal').pluck().get())).toBe(0);
  }
}
