import type { GenerateResult, KeyEngine, LibraryClass, LibraryStatus, Progress } from '../engine/index.js';
import { KeyEngineError } from '../errors.js';
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
    if (r.generated && !(await replicated(engine, r.setId, o.peerWaitMs))) {
      const seconds = Math.round(o.peerWaitMs / 1000);
      const why = `The peer server did not store its copy of the new key set for library ${r.library} within ${seconds} s, so the set was taken back and none of its keys will be used; check that the pair link works, then generate again.`;
      // Stored by the peer at the last moment: it stays, and the generation succeeded after all.
      if (engine.withdrawSet(r.setId, why)) throw new KeyEngineError('PEER_DID_NOT_STORE', why);
    }
    return { ...r, backupFirst: engine.settings.requireBackup };
  });
}

async function replicated(engine: KeyEngine, setId: number, waitMs: number): Promise<boolean> {
  if (engine.journal.peers().length === 0) return true;
  const until = Date.now() + waitMs;
  while (!engine.isReplicated(setId)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** `keys status`: per library, keys total, used, pending backup, percent used. */
export function keyStatus(open: OpenEngine): Promise<LibraryStatus[]> {
  return withEngine(open, (engine) => engine.status());
}
