import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { BackupError } from '../errors.js';
import { Tickets } from '../ras/tickets.js';
import { fsyncDir, fsyncFile, writeFileDurable } from '../util/durable-file.js';
import { APP_FILES, BACKUP_FORMAT, BACKUP_FORMAT_VERSION, DATA_FILES, MANIFEST, type Manifest, type Part, backupFileName, sha256File } from './backup-format.js';
import type { EngineSettings, KeyEngine, Progress } from './key-engine.js';
import { type BackupKey, writeSealedMasterKey } from './backup-seal.js';
import { DB_FILE } from './keystore.js';
import { SCHEMA_VERSION } from './schema.js';
import type { World } from './world.js';

export interface BackupResult {
  appFile: string;
  dataFile: string;
  backupId: string;
  keys: number;
  setsNowUsable: number;
}

/**
 * Takes a backup while the engine keeps serving: an online SQLite snapshot, the master
 * key beside it (sealed to the administrator's backup key), both halves written durably,
 * and only then the sets in the snapshot released for use (the manual's "back up before
 * you use the keys").
 */
export async function takeBackup(engine: KeyEngine, world: World, opts: { toDir: string; backupKey: BackupKey; onProgress?: Progress }): Promise<BackupResult> {
  const serial = engine.settings.serial;
  const now = world.now();
  const appFile = path.join(opts.toDir, backupFileName('app', serial, now));
  const dataFile = path.join(opts.toDir, backupFileName('data', serial, now));
  for (const f of [appFile, dataFile]) {
    if (existsSync(f)) throw new BackupError('BACKUP_EXISTS', `A backup named ${f} already exists; wait a second and run the backup again.`);
  }
  const stage = mkdtempSync(path.join(opts.toDir, '.qkm-backup-'));
  try {
    const snapshot = path.join(stage, DB_FILE);
    await engine.store.db.backup(snapshot, {
      progress: ({ totalPages, remainingPages }) => {
        opts.onProgress?.(totalPages - remainingPages, totalPages);
        return 4096;
      },
    });
    const { setIds, counts } = sealSnapshot(snapshot, now);
    writeSealedMasterKey(engine.store.dir, stage, opts.backupKey, world);
    writeFileSync(path.join(stage, 'settings.json'), JSON.stringify(keySettings(engine.settings), null, 2) + '\n');
    const backupId = world.randomBytes(16).toString('hex');
    const base = { format: BACKUP_FORMAT, formatVersion: BACKUP_FORMAT_VERSION, backupId, serial, createdAt: new Date(now).toISOString(), schemaVersion: SCHEMA_VERSION } as const;
    await writeHalf(stage, 'app', APP_FILES, { ...base, part: 'app', files: [] }, appFile);
    await writeHalf(stage, 'data', DATA_FILES, { ...base, part: 'data', files: [], counts }, dataFile);
    engine.markBackedUp(setIds, now);
    return { appFile, dataFile, backupId, keys: counts.keys, setsNowUsable: setIds.length };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Makes the snapshot a standalone file whose pending sets count as backed up (this backup holds them). */
function sealSnapshot(file: string, now: number): { setIds: number[]; counts: NonNullable<Manifest['counts']> } {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    const setIds = db.prepare('SELECT id FROM key_sets WHERE backed_up_at IS NULL').pluck().all() as number[];
    db.prepare('UPDATE key_sets SET backed_up_at = ? WHERE backed_up_at IS NULL').run(now);
    new Tickets(db, () => now).close('backup-needed');
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    return { setIds, counts: { keys: count('SELECT COUNT(*) FROM keys'), sets: count('SELECT COUNT(*) FROM key_sets'), libraries: count('SELECT COUNT(*) FROM libraries') } };
  } finally {
    db.close();
  }
}

async function writeHalf(stage: string, part: Part, names: readonly string[], manifest: Manifest, target: string): Promise<void> {
  const dir = path.join(stage, part);
  mkdirSync(dir);
  for (const name of names) renameSync(path.join(stage, name), path.join(dir, name));
  for (const name of names) {
    const file = path.join(dir, name);
    manifest.files.push({ name, size: statSync(file).size, sha256: await sha256File(file) });
  }
  writeFileDurable(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', 0o600);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp`);
  // Created owner-only before tar writes into it: the app half carries the (sealed) master key.
  closeSync(openSync(tmp, 'w', 0o600));
  // Random key material does not compress; level 1 keeps a million-key backup fast.
  await tar.c({ gzip: { level: 1 }, file: tmp, cwd: dir, portable: true }, [MANIFEST, ...names]);
  fsyncFile(tmp);
  renameSync(tmp, target);
  fsyncDir(path.dirname(target));
}

function keySettings(s: EngineSettings): Record<string, unknown> {
  return { setSizes: s.setSizes, depletionPercent: s.depletionPercent, requireBackup: s.requireBackup };
}
