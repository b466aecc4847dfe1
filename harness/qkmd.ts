/**
 * The one way tests and benchmarks start a real qkmd: a separate process with only PATH
 * and the QKM_* variables given (the caller's environment must not leak in), on a free
 * port unless told otherwise, resolved once qkmd says it is running. Lives outside test/
 * and bench/ so that both, run from TypeScript (vitest) or from dist/, share it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/config/config.js';

export const QKMD = path.join(PACKAGE_ROOT, 'bin', 'qkmd.js');
export const QKMCMDS = path.join(PACKAGE_ROOT, 'bin', 'qkmcmds.js');

/** How qkmd says its TLS listener is up: `key server listening on <host>:<port>`. */
export const LISTENING_LINE = /key server listening on (\S+):(\d+)/;
/** Where qkmd says its status page listens: `status page on https://<host>:<port>/`. */
export const STATUS_PAGE_LINE = /status page on https:\/\/(\S+):(\d+)\//;
/** qkmd's last start-up line, written together with the listening line. */
const RUNNING_LINE = /^running;/m;

export interface QkmdStartOptions {
  /** qkmd's arguments, e.g. ['--data-dir', dir]. */
  args: string[];
  /** QKM_* variables; QKM_KMIP_PORT and QKM_WEB_PORT default to 0 (6000 and 8443 belong to a real appliance). */
  env?: Record<string, string>;
  /** Node options for qkmd itself (a benchmark's --cpu-prof). */
  nodeArgs?: string[];
  /** SIGKILL and reject if qkmd has not said it is running by then; none by default. */
  timeoutMs?: number;
  /** false: after start-up, drain qkmd's output without keeping it (a long benchmark). */
  keepOutput?: boolean;
}

export interface RunningQkmd {
  child: ChildProcess;
  pid: number;
  host: string;
  port: number;
  /** Resolves with the exit code once qkmd has exited and its pipes are closed. */
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts qkmd; rejects with what it printed if it exits (or stays silent past `timeoutMs`) before it runs. */
export async function startQkmdProcess(opts: QkmdStartOptions): Promise<RunningQkmd> {
  const env = { PATH: process.env.PATH ?? '', QKM_KMIP_PORT: '0', QKM_WEB_PORT: '0', ...opts.env };
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), QKMD, ...opts.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const keepOut = (d: Buffer) => (stdout += d.toString());
  const keepErr = (d: Buffer) => (stderr += d.toString());
  child.stdout.on('data', keepOut);
  child.stderr.on('data', keepErr);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const said = () => `\nstdout: ${stdout}\nstderr: ${stderr}`;
  const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`qkmd did not say it was running within ${opts.timeoutMs} ms.${said()}`));
          }, opts.timeoutMs);
    const look = () => {
      const m = RUNNING_LINE.test(stdout) ? LISTENING_LINE.exec(stdout) : null;
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', look);
      resolve({ host: m[1]!, port: Number(m[2]) });
    };
    child.stdout.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`qkmd exited with ${code} before it was running: ${stderr}${said()}`));
    });
  });
  if (opts.keepOutput === false) {
    // Keep draining the pipes (a child blocked on a full pipe would stall), but stop keeping what comes.
    child.stdout.off('data', keepOut).resume();
    child.stderr.off('data', keepErr).resume();
  }
  return {
    child,
    pid: child.pid!,
    ...address,
    exited,
    output: () => ({ stdout, stderr }),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
