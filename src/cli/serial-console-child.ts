import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/config.js';
import type { UsbDevice } from '../../drivers/usb/contract.js';
import type { Logger } from '../logs/logger.js';
import type { GlobalOptions } from './context.js';

const PROGRAM = path.join(PACKAGE_ROOT, 'bin', 'qkm-serial-console.js');
const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/**
 * qkmd keeps a serial console (qkm-serial-console) running on a line: [serial]
 * console_port, or a USB-serial adapter plugged in. It is a process of its own, as a
 * shell on SSH is: a console session opens the keystore and stops the key service
 * through the control socket like qkmcmds does, and whatever happens to it or to its
 * line (a port that vanishes, a crash) leaves qkmd serving keys. One that exits is
 * started again, waiting longer each time it keeps failing.
 */
export function superviseSerialConsole(opts: GlobalOptions, dataDir: string, port: string, parentLog: Logger): () => Promise<void> {
  const log = parentLog.child({ component: 'serial-console', port });
  let child: ChildProcess | null = null;
  let stopping = false;
  let wait = RESTART_FIRST_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  const args = [PROGRAM, '--data-dir', dataDir, '--port', port, ...(opts.config ? ['--config', opts.config] : [])];

  const start = (): void => {
    const startedAt = Date.now();
    // The IPC channel is only a lifeline: it breaks when qkmd dies, however it dies (even SIGKILL), and the console then ends too.
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
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
    log.info({ consolePid: c.pid }, 'serial console started');
  };
  start();

  return async () => {
    stopping = true;
    log.info({}, 'serial console stopped');
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

/**
 * The serial lines that have a console: the configured port, and each USB-serial
 * adapter the agent lists (its node under [hardware] root), started when it appears and
 * stopped when it is pulled out.
 */
export class SerialConsoles {
  private readonly running = new Map<string, () => Promise<void>>();

  constructor(private readonly start: (port: string) => () => Promise<void>) {}

  /** Consoles on exactly these lines from now on. */
  follow(ports: readonly string[]): void {
    for (const port of ports) if (!this.running.has(port)) this.running.set(port, this.start(port));
    for (const [port, stop] of this.running) {
      if (ports.includes(port)) continue;
      this.running.delete(port);
      void stop();
    }
  }

  get ports(): string[] {
    return [...this.running.keys()];
  }

  async stop(): Promise<void> {
    const stops = [...this.running.values()];
    this.running.clear();
    await Promise.all(stops.map((s) => s()));
  }
}

/** The console lines of the USB-serial adapters plugged in, as paths under the hardware root. */
export function usbConsolePorts(devices: readonly UsbDevice[] | null, hardwareRoot: string): string[] {
  return (devices ?? []).filter((d) => d.kind === 'usb-serial' && d.node !== null).map((d) => path.join(hardwareRoot, d.node!));
}
