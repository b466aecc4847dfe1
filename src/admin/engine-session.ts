import type { KeyEngine } from '../engine/index.js';

/**
 * How an administration operation reaches the keystore: its front end (qkmcmds, the
 * menu console) opens it the way it must (claiming an upgrade, telling its user), and
 * the operation closes it when done.
 */
export type OpenEngine = () => KeyEngine;

/** Runs `work` on a freshly opened engine and closes the keystore whatever happens. */
export async function withEngine<T>(open: OpenEngine, work: (engine: KeyEngine) => T | Promise<T>): Promise<T> {
  const engine = open();
  try {
    return await work(engine);
  } finally {
    engine.store.close();
  }
}

/**
 * Holds the data directory for the whole of an operation that must not share it with a
 * running qkmd (restore, sync); returns its release.
 */
export type HoldDataDir = () => () => void;
