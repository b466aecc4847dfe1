/**
 * A real serial line for tests and benchmarks: socat makes a pseudo-terminal pair (two
 * links in a folder of the caller's), and the simulated front-panel board program runs on
 * one end, so qkm's driver opens the other with serialport's native binding as it would
 * /dev/ttyS1. Both are processes of ours, stopped by their own ids.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PACKAGE_ROOT } from '../src/config/config.js';

export const SIM_BOARD = path.join(PACKAGE_ROOT, 'dist', 'drivers', 'serial', 'sim-board.js');

export interface PtyPair {
  /** The end qkm opens. */
  host: string;
  /** The end the simulated board opens. */
  board: string;
  socat: ChildProcess;
  /** SIGKILL: both ends vanish at once, as an unplugged adapter does. */
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts socat with two raw pty ends linked as `<dir>/<name>-host` and `<dir>/<name>-board`. */
export async function ptyPair(dir: string, name = 'panel'): Promise<PtyPair> {
  const host = path.join(dir, `${name}-host`);
  const board = path.join(dir, `${name}-board`);
  const socat = spawn('socat', [`pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${board}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  socat.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 500 && !(existsSync(host) && existsSync(board)); i++) {
    if (socat.exitCode !== null) throw new Error(`socat stopped: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!existsSync(host) || !existsSync(board)) throw new Error(`socat made no pty pair in 5 s: ${err}`);
  return {
    host, board, socat,
    kill: async () => {
      socat.kill('SIGKILL');
      await exited(socat);
    },
  };
}

export interface SimBoardProcess {
  child: ChildProcess;
  /** Every JSON line it printed, in order. */
  lines: Record<string, unknown>[];
  /** Sends one order (see sim-board.ts) and resolves when the board says it is done. */
  order(line: string): Promise<void>;
  /** Resolves when a printed line satisfies `pred` (those already printed count). */
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Runs the simulated board program on `port`; resolves once it has the port open. */
export async function startSimBoard(port: string, opts: { baudRate?: number; transcript?: string } = {}): Promise<SimBoardProcess> {
  const args = [SIM_BOARD, port, '--baud', String(opts.baudRate ?? 115200), ...(opts.transcript ? ['--transcript', opts.transcript] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(JSON.parse(l) as Record<string, unknown>);
    for (const w of [...waiters]) w();
  });
  const waitFor = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 5_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = lines.find(pred);
        if (!hit) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`the simulated board did not print the line awaited in ${timeoutMs} ms; it printed ${JSON.stringify(lines)} ${stderr}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  let orders = 0;
  const sim: SimBoardProcess = {
    child, lines, waitFor,
    order: async (line) => {
      const n = ++orders;
      child.stdin!.write(`${line}\n`);
      // Orders are answered in turn, so the n-th "ok" is this one's.
      await waitFor(() => lines.filter((l) => 'ok' in l || 'error' in l).length >= n);
    },
    stop: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
  await waitFor((l) => 'ready' in l);
  return sim;
}

export const PACED_RELAY = path.join(PACKAGE_ROOT, 'dist', 'harness', 'paced-relay.js');

/**
 * A pty pair with a line speed: two socat pairs joined by the paced relay, so bytes take
 * as long from `host` to `board` (and back) as on a real line at `baud`, 8N1.
 */
export async function pacedPtyPair(dir: string, baud: number, name = 'paced'): Promise<PtyPair> {
  const near = await ptyPair(dir, `${name}-near`);
  const far = await ptyPair(dir, `${name}-far`);
  const relay = spawn(process.execPath, [PACED_RELAY, near.board, far.host, String(baud)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  relay.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    relay.stdout!.once('data', () => resolve());
    relay.once('exit', (code) => reject(new Error(`the paced relay stopped (${code}): ${err}`)));
  });
  return {
    host: near.host, board: far.board, socat: near.socat,
    kill: async () => {
      relay.kill('SIGKILL');
      await exited(relay);
      await near.kill();
      await far.kill();
    },
  };
}
