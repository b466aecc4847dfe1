import type { GenerateResult, LibraryClass, LibraryStatus, Progress } from '../engine/index.js';
import { type OpenEngine, withEngine } from './engine-session.js';

export type GenerateOutcome = GenerateResult & {
  /** The new keys are handed out only once a backup holds them. */
  backupFirst: boolean;
};

/** `keys generate`: a set for the library if its unused keys are insufficient, sealed on every core. */
export function generateKeys(open: OpenEngine, o: { library: string; cls: LibraryClass; onProgress?: Progress }): Promise<GenerateOutcome> {
  return withEngine(open, async (engine) => ({
    ...(await engine.generateInParallel(o.library, o.cls, o.onProgress)),
    backupFirst: engine.settings.requireBackup,
  }));
}

/** `keys status`: per library, keys total, used, pending backup, percent used. */
export function keyStatus(open: OpenEngine): Promise<LibraryStatus[]> {
  return withEngine(open, (engine) => engine.status());
}
