import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT, type QkmConfig, loadConfig } from '../config/config.js';
import { KeyEngine } from '../engine/key-engine.js';
import { Keystore } from '../engine/keystore.js';
import { type World, realWorld } from '../engine/world.js';
import { isQkmError } from '../errors.js';
import { type Logger, logFile, openLog } from '../logs/logger.js';
import { resolveSerial } from './serial.js';

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
}

export const VERSION: string = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Config, serial and log: what every command needs before it touches the keystore. */
export function loadContext(program: string, opts: GlobalOptions, world: World = realWorld): Context {
  const config = loadConfig({ configFile: opts.config, dataDir: opts.dataDir });
  const log = openLog(config.paths.data_dir, program, config.log.level, {
    maxFileBytes: config.log.max_file_kib * 1024,
    maxTotalBytes: config.log.max_total_kib * 1024,
    // A command that fails for a full disk says so in its own one sentence; qkmd has no other voice.
    announceFailure: program === 'qkmd',
  });
  const serial = resolveSerial(config, world);
  return { config, serial, world, log, program };
}

export function openEngine(ctx: Context, create = false): KeyEngine {
  const store = Keystore.open(ctx.config.paths.data_dir, ctx.world, {
    create,
    serial: ctx.serial,
    onUpgrade: ({ from, to, keys }) => {
      ctx.log.info({ from, to, keys }, 'upgrading the keystore schema');
      // On stderr, so that a command's own output stays as scripts expect it.
      process.stderr.write(`Upgrading the keystore from schema version ${from} to ${to} (${keys} keys, about a minute per million; if stopped, it starts over next time).\n`);
    },
  });
  const k = ctx.config.keys;
  return new KeyEngine(store, {
    serial: ctx.serial,
    setSizes: { i500: k.i500, i2000: k.i2000 },
    depletionPercent: k.depletion_percent,
    requireBackup: k.require_backup,
  }, ctx.world);
}

/**
 * Runs a command body: a QkmError becomes its one sentence on stderr (detail in the
 * log); anything else is our bug, reported as such with the log's path, never a trace.
 */
export async function runCommand(program: string, ctxRef: { ctx?: Context }, body: () => Promise<number | void> | number | void): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (e) {
    const log = ctxRef.ctx?.log;
    log?.error({ err: e }, 'command failed');
    if (isQkmError(e)) {
      process.stderr.write(`${program}: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      const where = ctxRef.ctx ? ` details are in ${logFile(ctxRef.ctx.config.paths.data_dir, program)}` : '';
      if (!log) process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
      process.stderr.write(`${program}: internal error (${(e as Error)?.message ?? e});${where || ' please report it'}.\n`);
      process.exitCode = 70;
    }
  }
}
