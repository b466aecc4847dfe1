/**
 * Generation needs both servers: a new set is usable only once every peer stored its
 * copy. The caller (an administrator's `keys generate`, a library's Generate Library
 * Keys) waits for that; a peer that does not store it in time gets the set taken back
 * whole on both sides, with a ticket, and a later retry generates afresh.
 */
import { KeyEngineError } from '../errors.js';
import type { KeyEngine } from './key-engine.js';

export async function requirePeerCopy(engine: KeyEngine, set: { setId: number; library: string }, waitMs: number): Promise<void> {
  if (engine.journal.peers().length === 0) return;
  const until = Date.now() + waitMs;
  while (!engine.isReplicated(set.setId)) {
    if (Date.now() >= until) {
      const seconds = Math.round(waitMs / 1000);
      const why = `The peer server did not store its copy of the new key set for library ${set.library} within ${seconds} s, so the set was taken back and none of its keys will be used; check that the pair link works, then generate again.`;
      // Stored by the peer at the last moment: it stays, and the generation succeeded after all.
      if (engine.withdrawSet(set.setId, why)) throw new KeyEngineError('PEER_DID_NOT_STORE', why, { params: { library: set.library, seconds } });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
