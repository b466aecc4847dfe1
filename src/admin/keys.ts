import { type GenerateResult, type LibraryClass, type LibraryStatus, type Progress, requirePeerCopy } from '../engine/index.js';
import { type OpenEngine, withEngine } from './engine-session.js';

export type GenerateOutcome = GenerateResult & {
  /** The new keys are handed out only once a backup holds them. */
  backupFirst: boolean;
};

/**
 * `keys generate`: a set for the library if its unused keys are insufficient, sealed on
 * every core. On a server with peers the set is usable only once each peer holds its copy
 * (qkmd's replication sends it): this waits up to `peerWaitMs` for that, and otherwise
 * takes the set back whole, on both sides, with a ticket.
 */
export function generateKeys(open: OpenEngine, o: { library: string; cls: LibraryClass; onProgress?: Progress; peerWaitMs: number }): Promise<GenerateOutcome> {
  return withEngine(open, async (engine) => {
    const r = await engine.generateInParallel(o.library, o.cls, o.onProgress);
    if (r.generated) await requirePeerCopy(engine, r, o.peerWaitMs);
    return { ...r, backupFirst: engine.settings.requireBackup };
  });
}

/** `keys status`: per library, keys total, used, pending backup, percent used. */
export function keyStatus(open: OpenEngine): Promise<LibraryStatus[]> {
  return withEngine(open, (engine) => engine.status());
}
