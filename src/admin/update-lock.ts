import path from 'node:path';
import { UpdateError } from '../errors.js';
import { dataDirHolder, holdKernelLock } from './data-dir-lock.js';

/** The lock one update or rollback holds while it runs (a kernel lock: it dies with its process). */
export const UPDATE_LOCK_FILE = 'update.lock';

/**
 * Claims the box's software for one update or rollback until the returned release is
 * called. A second one is refused in one sentence, and so is one while a restore, sync or
 * keystore upgrade holds the data directory (qkmd holding it is the normal case: an update
 * installs beside the running version). `action` is what the caller means to do.
 */
export function claimSoftware(dataDir: string, action: string): () => void {
  const holder = dataDirHolder(dataDir);
  if (holder && holder.program !== 'qkmd') {
    const who = holder.task ? `${holder.program} ${holder.task}` : 'A restore, sync or keystore upgrade';
    throw new UpdateError('UPDATE_BUSY', `${who} is running${holder.pid ? ` (pid ${holder.pid})` : ''} on ${dataDir}; wait for it to finish before you ${action}.`);
  }
  const lock = holdKernelLock(path.join(dataDir, UPDATE_LOCK_FILE));
  if (!lock) throw new UpdateError('UPDATE_BUSY', `Another software update or rollback is running on ${dataDir}; wait for it to finish before you ${action}.`);
  return () => lock.close();
}
