import { spawn, spawnSync } from 'node:child_process';
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

/**
 * qkmcmds running in the background with its standard input open, as a person at the
 * terminal: `answer` types a line, `done` waits for it to end.
 */
export function qkmcmdsInteractive(args: string[]) {
  const child = spawn(process.execPath, [QKMCMDS, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    out: () => stdout,
    answer: (line: string) => child.stdin.write(`${line}\n`),
    /** Resolves once the output so far matches `pattern` `times` times (or after about 30 s, whatever it shows). */
    async shown(pattern: RegExp, times = 1): Promise<number> {
      const count = () => stdout.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
      for (let i = 0; i < 600 && count() < times; i++) await new Promise((r) => setTimeout(r, 50));
      return count();
    },
    done: async (): Promise<CliResult> => ({ code: await exited, stdout, stderr }),
  };
}

/** Starts qkmd (on a free port unless `env` says otherwise) and resolves once it says it is running. */
export function startQkmd(args: string[], env: Record<string, string> = {}) {
  return startQkmdProcess({ args, env });
}
