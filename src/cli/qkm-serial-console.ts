import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import { Command } from 'commander';
import { PACKAGE_ROOT } from '../config/config.js';
import { realWorld } from '../engine/index.js';
import { QkmError, isQkmError } from '../errors.js';
import { keepConsoleLine } from '../serial-console/getty.js';
import { type CommandIo, serveLogins } from '../serial-console/session.js';
import { openEngine } from './command-engine.js';
import { type Context, type GlobalOptions, VERSION, loadContext, runCommand } from './context.js';
import { terminalDiskSentence, terminalSentence } from './words.js';

const PROGRAM = 'qkm-serial-console';
const QKMCMDS = path.join(PACKAGE_ROOT, 'bin', 'qkmcmds.js');
/** Seconds between tries to open a port that is not there (an adapter not plugged in yet). */
const RETRY_MS = 2_000;
const ref: { ctx?: Context } = {};

const program = new Command(PROGRAM)
  .description('The administrator\'s console on a serial line: a login (akmadmin), then the menu console and qkmcmds commands. qkmd runs it for [serial] console_port.')
  .version(VERSION, '-v, --version', 'print the qkm version')
  .option('--config <file>', 'a config file applied over the embedded config/qkm.toml')
  .option('--data-dir <dir>', 'the data directory (overrides [paths] data_dir)')
  .option('--port <path>', 'the serial device (default: [serial] console_port)')
  .option('--baud <n>', 'the line speed (default: [serial] console_baud)')
  .parse(process.argv);

const opts = program.opts<GlobalOptions & { port?: string; baud?: string }>();

await runCommand(PROGRAM, ref, async () => {
  const ctx = (ref.ctx = loadContext(PROGRAM, opts, realWorld));
  const port = opts.port ?? ctx.config.serial.console_port;
  const baudRate = opts.baud === undefined ? ctx.config.serial.console_baud : Number(opts.baud);
  if (!port) throw new QkmError('CONFIG_BAD_VALUE', 'No serial console port is set; give --port or set [serial] console_port.', { params: { where: 'serial.console_port' } });
  if (!Number.isInteger(baudRate) || baudRate < 1200) throw new QkmError('CONFIG_BAD_VALUE', `--baud ${opts.baud} is not a line speed; give one such as 9600 or 115200.`, { params: { where: '--baud' } });
  const { SerialPort } = await import('serialport');
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => stop.abort());
  // Run by qkmd: when qkmd is gone (even killed), so is its console, which must not hold the line for the next qkmd.
  if (process.connected) {
    process.once('disconnect', () => stop.abort());
    process.channel?.unref();
  }
  const global = ['--data-dir', ctx.config.paths.data_dir, ...(opts.config ? ['--config', opts.config] : [])];
  const sleep = (ms: number) => wait(ms).then(() => {});
  await keepConsoleLine({
    binding: SerialPort.binding, path: port, baudRate, log: ctx.log, retryMs: RETRY_MS, signal: stop.signal,
    sleep: (ms, signal) => wait(ms, undefined, { signal }).catch(() => {}),
    serve: (term) => serveLogins(term, {
      port, dataDir: ctx.config.paths.data_dir, config: ctx.config, world: ctx.world, log: ctx.log, audit: ctx.audit,
      serial: () => ctx.serial, openEngine: () => openEngine(ctx), sleep,
      sentence: (e) => (isQkmError(e) ? terminalSentence(e) : terminalDiskSentence(e, ctx.config.paths.data_dir)),
      runCommand: (words, io) => runQkmcmds([...global, ...words], io),
    }),
  });
});

/** A qkmcmds command as a process of its own, as if typed in a shell, its output and input on the line. */
function runQkmcmds(args: string[], io: CommandIo): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [QKMCMDS, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    for (const out of [child.stdout, child.stderr]) {
      out.setEncoding('utf8');
      out.on('data', (text: string) => io.write(text));
    }
    child.stdin.on('error', () => {});
    io.onLine((line) => child.stdin.write(line));
    io.onEnd(() => child.stdin.end());
    io.onStop((why) => child.kill(why === 'interrupt' ? 'SIGINT' : 'SIGHUP'));
    child.on('error', (e) => {
      io.write(`qkmcmds could not be started: ${e.message}\n`);
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
}
