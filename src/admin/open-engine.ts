import type { QkmConfig } from '../config/config.js';
import { KeyEngine, Keystore, type World } from '../engine/index.js';
import { KeystoreError, isQkmError } from '../errors.js';
import { claimDataDir } from './data-dir-lock.js';

export interface EngineSetup {
  dataDir: string;
  serial: string;
  world: World;
  keys: QkmConfig['keys'];
  /** The program opening it, named to whoever finds the data directory held during an upgrade. */
  program: string;
  /** qkmd makes an empty keystore on first start; every other opener needs one. */
  create?: boolean;
  /** Told before a keystore schema upgrade starts (it takes about a minute per million keys). */
  onUpgrade?: (u: { from: number; to: number; keys: number }) => void;
}

/** The key engine on the data directory's keystore, upgraded first if its schema is older, with the directory held meanwhile. */
export function openKeyEngine(o: EngineSetup): KeyEngine {
  let releaseUpgrade: (() => void) | undefined;
  let store: Keystore;
  try {
    store = Keystore.open(o.dataDir, o.world, {
      create: o.create === true,
      serial: o.serial,
      onUpgrade: (u) => {
        // Nobody else may use the keystore while its schema changes (qkmd already holds this).
        try {
          releaseUpgrade = claimDataDir(o.dataDir, { program: o.program, task: 'keystore upgrade' }, `upgrade the keystore to schema version ${u.to}`);
        } catch (e) {
          // The keystore passes its own errors through as they are; anything else it calls unreadable.
          throw isQkmError(e) ? new KeystoreError(e.code, e.message, { cause: e, params: e.params }) : e;
        }
        o.onUpgrade?.(u);
      },
    });
  } finally {
    releaseUpgrade?.();
  }
  return new KeyEngine(store, {
    serial: o.serial,
    setSizes: { i500: o.keys.i500, i2000: o.keys.i2000 },
    depletionPercent: o.keys.depletion_percent,
    requireBackup: o.keys.require_backup,
  }, o.world);
}
