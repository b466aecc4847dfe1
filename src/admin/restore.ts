import { type RestoreOptions, type RestoreResult, loadBackupKey, restoreBackup, saveBackupKey } from '../engine/index.js';
import type { HoldDataDir } from './engine-session.js';

export type RestoreOutcome = RestoreResult & {
  /**
   * What new backups are sealed to now: `unsealed` (the backup held its master key in
   * clear: take a new one), `kept` (the backup key set up before), or `adopted` (a
   * replacement server takes the backup key the administrator just proved to hold).
   */
  backupKey: 'unsealed' | 'kept' | 'adopted';
};

/** `restore`: the keystore replaced by a backup pair, with the data directory held throughout. */
export async function restoreKeystore(o: RestoreOptions & { hold: HoldDataDir }): Promise<RestoreOutcome> {
  const { hold, ...options } = o;
  // Held to the end, so that no qkmd starts on the keystore half-way through.
  const release = hold();
  let r: RestoreResult;
  try {
    r = await restoreBackup(options);
  } finally {
    release();
  }
  if (!r.sealedTo) return { ...r, backupKey: 'unsealed' };
  if (loadBackupKey(o.dataDir)) return { ...r, backupKey: 'kept' };
  saveBackupKey(o.dataDir, r.sealedTo);
  return { ...r, backupKey: 'adopted' };
}
