import { cleanBackupLeftovers } from './backup.js';
import { cleanRestoreLeftovers } from './restore.js';

/**
 * What killed backups and restores left in the data directory (snapshots, unpacked
 * master keys, candidate keystores that never went live), cleared as qkmd starts. The
 * copies restores kept aside on purpose stay: only the administrator removes those.
 */
export function cleanLeftovers(dataDir: string): string[] {
  return [...cleanBackupLeftovers(dataDir), ...cleanRestoreLeftovers(dataDir)];
}
