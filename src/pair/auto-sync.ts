/**
 * A qkmd that starts on a restored keystore (its libraries "need sync") asks its peers,
 * in the background, for what it handed out after the backup (restore-sync.ts), and keeps
 * asking every few seconds while none answers. Until then every Create is refused with
 * the sync-needed ticket, so no key already on a tape is handed out again; an
 * administrator may end the wait with each library's last key instead.
 */
import type { KeyEngine } from '../engine/index.js';
import type { Logger } from '../logs/logger.js';
import type { PeerAddress } from './link-client.js';
import type { PairSide } from './pairing.js';
import { PairRegistry } from './registry.js';
import { syncFromPeers } from './restore-sync.js';

export interface AutoSync {
  /** Settles when the libraries no longer need a sync (or the loop was stopped). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export function startAutoSync(o: { side: PairSide; addresses: readonly PeerAddress[]; engine: KeyEngine; log: Logger; retryMs?: number }): AutoSync {
  let stopped = false;
  let wake = () => {};
  const needsSync = () => o.engine.status().some((l) => l.needsSync);
  const run = async () => {
    if (!needsSync() || o.addresses.length === 0 || new PairRegistry(o.side.dataDir).peers().length === 0) return;
    o.log.warn({}, 'the keystore was restored: asking the peer what this server handed out since the backup before any key is handed out');
    let lastProblem = '';
    while (!stopped && needsSync()) {
      try {
        const r = await syncFromPeers(o.side, o.addresses, o.engine);
        o.log.info({ sync: r }, 'synchronised from the peer after the restore; keys are handed out again');
        return;
      } catch (e) {
        const problem = (e as Error).message;
        if (problem !== lastProblem) o.log.warn({ err: problem }, 'cannot synchronise from the peer yet; trying again');
        lastProblem = problem;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.retryMs ?? 2_000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const done = run().catch((e: unknown) => o.log.error({ err: e }, 'synchronising from the peer failed'));
  return {
    done,
    stop: async () => {
      stopped = true;
      wake();
      await done;
    },
  };
}
