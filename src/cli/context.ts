import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT, type QkmConfig, loadConfig } from '../config/config.js';
// The world alone, not the engine's public face (index.ts), which loads the whole engine:
// a command that never opens the keystore does not pay for it.
import { type World, realWorld } from '../engine/world.js';
import { isQkmError } from '../errors.js';
import { type Logger, logFile, openLog } from '../logs/logger.js';
import { AuditLog } from '../logs/audit.js';
import { effectiveLogLevel } from '../logs/trace-setting.js';
import { checkDataDir } from '../admin/data-dir-check.js';
import { resolveSerial } from '../admin/serial.js';
import { terminalDiskSentence, terminalSentence } from './words.js';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
}

export interface Context {
  config: QkmConfig;
  serial: string;
  world: World;
  log: Logger;
  program: string;
  /** The audit log of the data directory, written as this program. */
  audit: AuditLog;
}

/** What runCommand needs of a program's context: its log, and the folder that holds it (qkm-library's state folder). */
export interface CommandContext {
  log: Logger;
  config: { paths: { data_dir: string } };
}

export const VERSION: string = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export interface ContextOptions {
  /** qkmd and restore make the data directory (and mint the simulator's serial); other commands need one. */
  createDataDir?: boolean;
  /** Refuses a configuration before anything is written (qkmd: a data directory path too long for its socket). */
  check?: (config: QkmConfig) => void;
}

/** Config, serial and log: what every command needs before it touches the keystore. */
export function loadContext(program: string, opts: GlobalOptions, world: World = realWorld, o: ContextOptions = {}): Context {
  const config = loadConfig({ configFile: opts.config, dataDir: opts.dataDir });
  const create = o.createDataDir === true;
  o.check?.(config);
  // Before the log opens: a mistyped --data-dir must not become a directory.
  checkDataDir(config.paths.data_dir, create);
  const log = openLog(config.paths.data_dir, program, effectiveLogLevel(config.paths.data_dir, config.log.level), {
    maxFileBytes: config.log.max_file_kib * 1024,
    maxTotalBytes: config.log.max_total_kib * 1024,
    // A command that fails for a full disk says so in its own one sentence; qkmd has no other voice.
    announceFailure: program === 'qkmd',
  });
  let serial: string | undefined;
  const audit = openAuditLog(config, program, world);
  // Resolved when first used: the hardware commands only talk to qkmd and never need it.
  return { config, world, log, program, audit, get serial() { return (serial ??= resolveSerial(config, world, { mint: create })); } };
}

/** The data directory's audit log, rotating under the [log] size limits like the other logs. */
export function openAuditLog(config: QkmConfig, program: string, world: World = realWorld): AuditLog {
  return new AuditLog(config.paths.data_dir, {
    program,
    limits: { maxFileBytes: config.log.max_file_kib * 1024, maxTotalBytes: config.log.max_total_kib * 1024 },
    now: () => world.now(),
  });
}

/**
 * Runs a command body: a QkmError becomes its one sentence on stderr (detail in the
 * log), and so does a disk that is full, read-only or failing, even when the log itself
 * cannot be written; anything else is our bug, reported as such with the log's path,
 * never a trace.
 */
export async function runCommand(program: string, ctxRef: { ctx?: CommandContext }, body: () => Promise<number | void> | number | void): Promise<void> {
  quietBrokenPipes(program);
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (e) {
    const ctx = ctxRef.ctx;
    const logged = logFailure(ctx?.log, e);
    const sentence = isQkmError(e) ? terminalSentence(e) : terminalDiskSentence(e, ctx?.config.paths.data_dir);
    if (sentence) {
      say(`${program}: ${sentence}`);
      process.exitCode = 1;
    } else {
      const where = ctx && logged ? ` details are in ${logFile(ctx.config.paths.data_dir, program)}` : '';
      if (!logged) say(String((e as Error)?.stack ?? e));
      say(`${program}: internal error (${(e as Error)?.message ?? e});${where || ' please report it'}.`);
      process.exitCode = 70;
    }
  }
}

/** The failure in the log, if the log can still be written (a full disk may refuse it). */
function logFailure(log: Logger | undefined, e: unknown): boolean {
  if (!log) return false;
  try {
    log.error({ err: e }, 'command failed');
    return true;
  } catch {
    return false;
  }
}

function say(line: string): void {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // stderr is gone too: the exit status still tells
  }
}

let pipesQuiet = false;

/**
 * Output piped into a program that exits (`qkmcmds keys status | head -1`) is not an
 * error of ours: the rest of the output is dropped and the command finishes its work
 * (a key operation is never cut short by a reader leaving). Any other failure to write
 * the output is one sentence and exit status 1.
 */
function quietBrokenPipes(program: string): void {
  if (pipesQuiet) return;
  pipesQuiet = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || stream === process.stderr) return;
      say(`${program}: ${terminalDiskSentence(e, 'the output file') ?? `its output cannot be written (${e.code ?? e.message}).`}`);
      process.exitCode = 1;
    });
  }
}
