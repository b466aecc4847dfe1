import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/config.js';
import type { Logger } from '../logs/logger.js';
import type { GlobalOptions } from './context.js';

const PROGRAM = path.join(PACKAGE_ROOT, 'bin', 'qkm-serial-console.js');
const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/**
 * qkmd keeps the serial console (qkm-serial-console) running on [serial] console_port.
 * It is a process of its own, as a shell on SSH is: a console session opens the keystore
 * and stops the key service through the control socket like qkmcmds does, and whatever
 * happens to it or to its line (a port that vanishes, a crash) leaves qkmd serving keys.
 * One that exits is started again, waiting longer each time it keeps failing.
 */
export function superviseSerialConsole(opts: GlobalOptions, dataDir: string, log: Logger): () => Promise<void> {
  let child: ChildProcess | null = null;
  let stopping = false;
  let wait = RESTART_FIRST_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  const args = [PROGRAM, '--data-dir', dataDir, ...(opts.config ? ['--config', opts.config] : [])];

  const start = (): void => {
    const startedAt = Date.now();
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-2_000)));
    c.on('error', (e) => log.error({ err: e }, 'the serial console could not be started'));
    c.on('exit', (code, signal) => {
      child = null;
      if (stopping) return;
      // A console that ran a good while before it ended is restarted at once; one that fails at start waits longer each time.
      wait = Date.now() - startedAt > RESTART_MAX_MS ? RESTART_FIRST_MS : Math.min(wait * 2, RESTART_MAX_MS);
      log.warn({ code, signal, stderr: stderr.trim(), restartInMs: wait }, 'the serial console ended; starting it again');
      restartTimer = setTimeout(start, wait);
    });
    log.info({ pid: c.pid }, 'serial console started');
  };
  start();

  return async () => {
    stopping = true;
    clearTimeout(restartTimer);
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const late = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(late);
  };
}
