/**
 * Two real qkmd processes as a pair on loopback: starting one with its pair link, running
 * `qkmcmds pair ...` on it, and the administrator's three pairing steps.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import type { RunningQkmd } from '../../harness/qkmd.js';

export { freePort } from '../../harness/free-port.js';
import { type CommandResult, runQkmcmds, startQkmdKeyServer } from './qkmd-kmip.js';

export const PAIR_LINE = /pair link \((\w+)\) listening on (\S+):(\d+); pair fingerprint (\S+)/;

export interface PairServerProcess {
  qkmd: RunningQkmd;
  dir: string;
  /** Its pair link, host:port. */
  address: string;
  fingerprint: string;
  serial: string;
  env: Record<string, string>;
}

export function pairEnv(o: { role: string; serial: string; port?: number; peer?: string }): Record<string, string> {
  return {
    QKM_PAIR_ROLE: o.role, QKM_PAIR_PORT: String(o.port ?? 0), QKM_PAIR_PEER: o.peer ?? '', QKM_SERVER_SERIAL: o.serial,
    QKM_KEYS_I500: '64', QKM_KEYS_REQUIRE_BACKUP: 'false',
  };
}

export async function startPaired(dir: string, env: Record<string, string>): Promise<PairServerProcess> {
  const qkmd = await startQkmdKeyServer({ dataDir: dir, env, timeoutMs: 60_000 });
  const m = PAIR_LINE.exec(qkmd.output().stdout);
  if (!m) throw new Error(`qkmd did not say where its pair link listens:\n${qkmd.output().stdout}`);
  return { qkmd, dir, address: `${m[2]}:${m[3]}`, fingerprint: m[4]!, serial: env.QKM_SERVER_SERIAL!, env };
}

export function startPairedIn(root: string, name: string, o: Parameters<typeof pairEnv>[0]): Promise<PairServerProcess> {
  return startPaired(path.join(root, name), pairEnv(o));
}

/** `qkmcmds pair ARGS` on the server's data directory; `peer` overrides [pair] peer. */
export function pairCli(s: PairServerProcess, args: string[], peer?: string): Promise<CommandResult> {
  return runQkmcmds(['--data-dir', s.dir, 'pair', ...args], { ...s.env, ...(peer !== undefined && { QKM_PAIR_PEER: peer }) });
}

/** The administrator's steps: join on `b` with `a`'s fingerprint, then confirm on `a`. */
export async function pairUp(a: PairServerProcess, b: PairServerProcess): Promise<void> {
  for (const [s, args] of [[b, ['join', '--peer', a.address, '--fingerprint', a.fingerprint]], [a, ['confirm', '--fingerprint', b.fingerprint]]] as const) {
    const r = await pairCli(s, [...args]);
    if (r.code !== 0) throw new Error(`qkmcmds pair ${args.join(' ')} failed: ${r.stderr}`);
  }
}

/** Reads a running server's keystore (WAL: readers do not disturb it). */
export function readKeystore<T>(dir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, 'keystore', 'keystore.db'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Resolves once `a`'s journal is acknowledged up to its last entry by every peer (or rejects after `ms`). */
export async function waitReplicated(a: PairServerProcess, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const behind = readKeystore(a.dir, (db) => db.prepare(
      "SELECT COUNT(*) FROM peers WHERE acked_seq < coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'journal'), 0)",
    ).pluck().get() as number);
    if (behind === 0) return;
    if (Date.now() > until) throw new Error(`server ${a.serial}'s peer did not catch up within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
