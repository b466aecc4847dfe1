import { spawnSync } from 'node:child_process';
import { QKMCMDS, startQkmdProcess } from '../../harness/qkmd.js';

export { QKMCMDS, QKMD } from '../../harness/qkmd.js';

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs qkmcmds as a user would (a separate process, output piped), with only QKM_* from `env`;
 * `input` is its standard input (how a script gives a passphrase or shares).
 */
export function qkmcmds(args: string[], env: Record<string, string> = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [QKMCMDS, ...args], { encoding: 'utf8', input, env: { PATH: process.env.PATH ?? '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts qkmd (on a free port unless `env` says otherwise) and resolves once it says it is running. */
export function startQkmd(args: string[], env: Record<string, string> = {}) {
  return startQkmdProcess({ args, env });
}
