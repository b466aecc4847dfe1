/**
 * What the benchmarks that run servers share: starting qkmd (with a library and its key
 * set) and the bare TLS server, reading a process's CPU time and memory from /proc, waiting
 * for it to go quiet, and stopping it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extract } from 'tar';
import { QKMCMDS, startQkmdProcess } from '../harness/qkmd.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

export interface Target {
  name: string;
  port: number;
  tls: ClientTls;
  pid: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A deadline for Promise.race that does not keep the process alive once the race is won. */
export const deadline = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Resolves with the first match of `pattern` in the child's stdout or stderr. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not print ${pattern} within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const look = (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        // Keep draining the pipes (a child blocked on a full pipe would stall), but stop keeping what comes.
        child.stdout?.off('data', look).resume();
        child.stderr?.off('data', look).resume();
        resolve(m);
      }
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${seen}`));
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; to the whole group when the child leads one (PyKMIP). */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  const group = groups.has(child);
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (group) process.kill(-child.pid!, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  // The leader may be gone while its helpers linger.
  if (group) signal('SIGKILL');
}

/** Children started as process-group leaders. */
export const groups = new WeakSet<ChildProcess>();

/** Resolves once `pid` uses (next to) no CPU: at most one 10 ms tick in 200 ms, or after 20 s. */
export async function settled(pid: number): Promise<void> {
  const until = performance.now() + 20_000;
  let before = cpuSeconds(pid);
  while (performance.now() < until) {
    await sleep(200);
    const now = cpuSeconds(pid);
    if (now - before <= 0.01) return;
    before = now;
  }
}

/** A process's CPU time so far, user + system, from /proc (10 ms ticks: read over seconds, not milliseconds). */
export function cpuSeconds(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export function qkmcmds(args: string[], env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [QKMCMDS, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qkmcmds ${args.join(' ')} exited with ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * qkmd on a free port with a fresh data dir under `dir`, one generated set of `setSize` keys
 * for `library` (usable at once: no backup needed), and the library's bundle unpacked.
 */
export async function startQkmdWithLibrary(
  dir: string,
  children: ChildProcess[],
  opts: { library: string; setSize: number },
): Promise<{ target: Target; child: ChildProcess; dataDir: string }> {
  const dataDir = path.join(dir, 'qkmd');
  await mkdir(dataDir);
  const env = { QKM_KEYS_REQUIRE_BACKUP: 'false', QKM_KEYS_I2000: String(opts.setSize), QKM_LOG_LEVEL: 'warn' };
  // e.g. QKMD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where qkmd's time goes under this load
  const nodeArgs = process.env.QKMD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const qkmd = await startQkmdProcess({ args: ['--data-dir', dataDir], env, nodeArgs, timeoutMs: 30_000, keepOutput: false });
  const child = qkmd.child;
  children.push(child);
  qkmcmds(['--data-dir', dataDir, 'keys', 'generate', '--library', opts.library, '--class', 'i2000'], env);
  const bundleDir = path.join(dir, 'bundle');
  await mkdir(bundleDir);
  const bundle = path.join(bundleDir, `${opts.library}.tgz`);
  qkmcmds(['--data-dir', dataDir, 'certs', 'library-bundle', '--library', opts.library, '--out', bundle], env);
  await extract({ file: bundle, cwd: bundleDir });
  const tls = {
    ca: await readFile(path.join(bundleDir, 'ca.pem'), 'utf8'),
    cert: await readFile(path.join(bundleDir, 'client.pem'), 'utf8'),
    key: await readFile(path.join(bundleDir, 'client.key'), 'utf8'),
  };
  return { target: { name: 'qkmd', port: qkmd.port, tls, pid: qkmd.pid }, child, dataDir };
}

/** The bare TLS server (bench/bare-tls-server.ts: canned answers, no limits), in its own process, with qkmd's certificate. */
export async function startBare(qkmdDataDir: string, clientTls: ClientTls, children: ChildProcess[]): Promise<{ target: Target; child: ChildProcess }> {
  // The IPC channel lets the bare server notice when this process goes away, however it goes.
  const child = spawn(process.execPath, [path.join(here, 'bare-tls-server.js'), path.join(qkmdDataDir, 'tls')], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(child);
  const m = await waitForLine(child, /bare listening on (\d+)/, 15_000, 'bare TLS server');
  return { target: { name: 'bare TLS', port: Number(m[1]), tls: clientTls, pid: child.pid! }, child };
}
