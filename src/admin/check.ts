import { type CheckReport, type Progress, checkKeystore } from '../engine/index.js';
import { type OpenEngine, withEngine } from './engine-session.js';

/** `check`, the Config Test: every key record and the keystore verified. */
export function checkKeys(open: OpenEngine, o: { onProgress?: Progress } = {}): Promise<CheckReport> {
  return withEngine(open, (engine) => checkKeystore(engine.store, o.onProgress));
}
