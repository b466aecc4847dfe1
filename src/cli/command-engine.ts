import type { OpenEngine } from '../admin/engine-session.js';
import { openKeyEngine } from '../admin/open-engine.js';
import { pairSideOf } from '../admin/pair-side.js';
import type { KeyEngine } from '../engine/index.js';
import type { PairSide } from '../pair/pairing.js';
import { type Context, VERSION } from './context.js';

/** The key engine for this command, telling the administrator (on stderr) when the keystore's schema is upgraded first. */
export function openEngine(ctx: Context, create = false): KeyEngine {
  return openKeyEngine({
    dataDir: ctx.config.paths.data_dir,
    serial: ctx.serial,
    world: ctx.world,
    keys: ctx.config.keys,
    program: ctx.program,
    create,
    onUpgrade: ({ from, to, keys }) => {
      ctx.log.info({ from, to, keys }, 'upgrading the keystore schema');
      // On stderr, so that a command's own output stays as scripts expect it.
      process.stderr.write(`Upgrading the keystore from schema version ${from} to ${to} (${keys} keys, about a minute per million; if stopped, it starts over next time).\n`);
    },
  });
}

/** Opens the keystore of the command's data directory each time it is asked (admin operations close it). */
export const engineOf = (context: () => Context): OpenEngine => () => openEngine(context());

/** This server as pairing sees it. */
export function pairSide(ctx: Context): PairSide {
  return pairSideOf({ dataDir: ctx.config.paths.data_dir, serial: ctx.serial, version: VERSION, now: () => ctx.world.now(), openEngine: () => openEngine(ctx) });
}
