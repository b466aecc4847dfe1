/**
 * qkm-launcher as systemd runs it, for tests and benchmarks: started in its own process
 * group (so that a power cut takes its qkmd too), its output kept, waited on by pattern.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/config/config.js';

export const LAUNCHER = path.join(PACKAGE_ROOT, 'bin', 'qkm-launcher.js');

export interface Launched { child: ChildProcess; out: () => string; exited: Promise<number | null> }

const started: ChildProcess[] = [];

/** The launcher as systemd runs it, in its own process group so that a power cut takes qkmd too. */
export function launch(dataDir: string, env: Record<string, string> = {}): Launched {
  const child = spawn(process.execPath, [LAUNCHER, '--data-dir', dataDir], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', QKM_KMIP_PORT: '0', ...env },
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

/** SIGKILL to the launcher's whole process group: the launcher and its qkmd, as a power cut. */
export function powerCut(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Cuts the power of every launcher started here that still runs (a test's clean-up). */
export function powerCutAll(): void {
  for (const l of started.splice(0)) if (l.exitCode === null && l.signalCode === null) powerCut(l);
}

/** Waits for `pattern` in the launcher's output from offset `from` on (what came after a mark). */
export async function until(l: Launched, pattern: RegExp, ms = 60_000, from = 0): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(l.out().slice(from));
    if (m) return m;
    if (Date.now() > deadline || l.child.exitCode !== null) throw new Error(`launcher output never matched ${pattern}:\n${l.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The version of the qkmd the launcher started last, as its first line says. */
export const runningVersion = (l: Launched) => [...l.out().matchAll(/^qkmd (\S+): server/gm)].map((m) => m[1]).pop();

/** The port the qkmd started last listens on for KMIP. */
export const kmipPort = (l: Launched) => Number([...l.out().matchAll(/key server listening on \S+:(\d+)/g)].map((m) => m[1]).pop());
