/**
 * Two qkmd processes made a pair, as benchmarks start them: each with its pair link on a
 * given port and the other as its peer, then the administrator's join and confirm.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { QKMCMDS, type RunningQkmd, startQkmdProcess } from './qkmd.js';

const PAIR_LINE = /pair link \(\w+\) listening on \S+:\d+; pair fingerprint (\S+)/;

export interface PairedQkmd { qkmd: RunningQkmd; dir: string; env: Record<string, string>; fingerprint: string; port: number }

export async function startPairedQkmd(dir: string, o: { serial: string; role: string; port: number; peerPort: number; env?: Record<string, string> }): Promise<PairedQkmd> {
  const env = { QKM_SERVER_SERIAL: o.serial, QKM_PAIR_ROLE: o.role, QKM_PAIR_PORT: String(o.port), QKM_PAIR_PEER: `127.0.0.1:${o.peerPort}`, QKM_KEYS_REQUIRE_BACKUP: 'false', ...o.env };
  const qkmd = await startQkmdProcess({ args: ['--data-dir', dir], env, timeoutMs: 60_000, keepOutput: true });
  const fingerprint = PAIR_LINE.exec(qkmd.output().stdout)?.[1];
  if (!fingerprint) throw new Error(`qkmd in ${path.basename(dir)} printed no pair fingerprint`);
  return { qkmd, dir, env, fingerprint, port: o.port };
}

/** `pair join` on `b` with `a`'s fingerprint, then `pair confirm` on `a`. */
export function pairTwo(a: PairedQkmd, b: PairedQkmd): void {
  for (const [s, args] of [[b, ['join', '--peer', `127.0.0.1:${a.port}`, '--fingerprint', a.fingerprint]], [a, ['confirm', '--fingerprint', b.fingerprint]]] as const) {
    const r = spawnSync(process.execPath, [QKMCMDS, '--data-dir', s.dir, 'pair', ...args], { env: { PATH: process.env.PATH ?? '', ...s.env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pair ${args[0]} failed: ${r.stderr}`);
  }
}
