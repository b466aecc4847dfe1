import path from 'node:path';
import { type BackupResult, type Progress, type World, requireBackupKey, takeBackup } from '../engine/index.js';
import { type OpenEngine, withEngine } from './engine-session.js';

export type BackupOutcome = BackupResult & { backupKeyId: string };

/** `backup`: the two files, sealed to the backup key, in `toDir` (default <data_dir>/backups). */
export async function backUp(open: OpenEngine, o: { dataDir: string; world: World; toDir?: string; onProgress?: Progress }): Promise<BackupOutcome> {
  const backupKey = requireBackupKey(o.dataDir);
  const toDir = path.resolve(o.toDir ?? path.join(o.dataDir, 'backups'));
  return withEngine(open, async (engine) => ({
    ...(await takeBackup(engine, o.world, { toDir, backupKey, onProgress: o.onProgress })),
    backupKeyId: backupKey.id,
  }));
}
