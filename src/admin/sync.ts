import type { HoldDataDir, OpenEngine } from './engine-session.js';
import { withEngine } from './engine-session.js';

/**
 * `sync`: after a restore, every key up to the last one a library used is that
 * library's again. The data directory is held: a running qkmd would hand out keys this
 * is about to mark used.
 */
export async function syncLibrary(open: OpenEngine, o: ({ lastKey: string } | { noneUsed: string }) & { hold: HoldDataDir }): Promise<{ library: string; recovered: number }> {
  const release = o.hold();
  try {
    return await withEngine(open, (engine) => ('lastKey' in o ? engine.sync(o.lastKey) : engine.syncNoneUsed(o.noneUsed)));
  } finally {
    release();
  }
}
