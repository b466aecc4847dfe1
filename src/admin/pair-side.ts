import { PeerCopies } from '../engine/index.js';
import type { PairSide } from '../pair/pairing.js';
import type { OpenEngine } from './engine-session.js';

/** This server as pairing sees it, for the command line and the menu console alike. */
export function pairSideOf(o: Omit<PairSide, 'addPeer'> & { openEngine: OpenEngine }): PairSide {
  const { openEngine, ...side } = o;
  return {
    ...side,
    addPeer: (serial) => {
      const engine = openEngine();
      try {
        new PeerCopies(engine).pairWith(serial);
      } finally {
        engine.store.close();
      }
    },
  };
}
