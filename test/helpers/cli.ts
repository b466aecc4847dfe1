import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO } from './worker.js';

export const QKMCMDS = path.join(REPO, 'bin', 'qkmcmds.js');
export const QKMD = path.join(REPO, 'bin', 'qkmd.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs qkmcmds as a user would (a separate process, output piped), with only QKM_* from `env`;
 * `input` is its standard input (how a script gives a passphrase or shares).
 */
export function qkmcmds(args: string[], env: Record<string, string> = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [QKMCMDS, ...args], { encoding: 'utf8', input, env: { PATH: process.env.PATH ?? '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts qkmd and resolves once it says it is running. */
export async function startQkmd(args: string[], env: Record<string, string> = {}) {
  // Port 0: every test's qkmd gets its own free port; 6000 belongs to a real key server.
  const child = spawn(process.execPath, [QKMD, ...args], { env: { PATH: process.env.PATH ?? '', QKM_KMIP_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('running;')) resolve();
    });
    void exited.then((code) => reject(new Error(`qkmd exited with ${code}: ${stderr}`)));
  });
  return { child, exited, output: () => ({ stdout, stderr }) };
}
