
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { BackupError, QkmError } from '../errors.js';
import { Tickets } from '../ras/tickets.js';
import { fsyncDir, fsyncFile, writeFileDurable } from '../util/durable-file.js';
import { ACCEPTED_FILES, BACKUP_FORMAT, BACKUP_FORMAT_VERSION, MANIFEST, type Manifest, type Part, filesOf, sha256File } from './backup-format.js';
import { type BackupKey, type Unlock, readBackupMasterKey } from './backup-seal.js';
import { checkKeystore } from './integrity.js';
import type { Progress } from './key-engine.js';
import { type KeystoreCounts, countsOf, liveKeystoreName } from './kept-keystores.js';
import { DB_FILE, Keystore, stamp, switchKeystore } from './keystore.js';
import { MASTER_KEY_FILE } from './master-key.js';
import { SCHEMA_VERSION } from './schema.js';
import { RESTORE_WORK_PREFIX, candidateOf, recordCandidate } from './restore-work.js';
import { WorkDir, cleanStaleWorkDirs } from './work-dir.js';
import type { World } from './world.js';

export interface RestoreOptions {
  dataDir: string;
  appFile: string;
  dataFile: string;
  /** This server's serial: a backup of another server is refused unless allowOtherServer. */
  serial: string;
  allowOtherServer?: boolean;
  world: World;
  /** Called just before the switch; throws if the keystore is in use (qkmd running). */
  assertNotInUse?: () => void;
  /** Asks for the passphrase or shares of the backup key a sealed backup names. */
  unlock?: Unlock;
  /**
   * Asked when the backup holds fewer keys or fewer handed-out keys than the keystore it
   * would replace; the restore goes on only if it answers true. Without it, such a
   * restore is refused.
   */
  confirmOlder?: (c: OlderBackup) => boolean | Promise<boolean>;
  onProgress?: Progress;
}

/** What a restore would go back on: the live keystore against the backup. */
export interface OlderBackup {
  live: KeystoreCounts;
  backup: KeystoreCounts;
  backupCreatedAt: string;
}

export interface RestoreResult {
  keys: number;
  libraries: string[];
  backupSerial: string;
  backupCreatedAt: string;
  /** The keystore that was replaced, kept aside (undefined on a first restore). */
  previous: string | undefined;
  /** The backup key the backup was sealed to; undefined for a format 1 backup (master key in clear). */
  sealedTo?: BackupKey;
}

/**
 * Restores a backup pair. Everything is verified in a staging directory first; the live
 * keystore changes only by one atomic symlink switch, after the candidate has opened,
 * migrated and passed the full check. Any refusal leaves the data directory as it was,
 * and so does a kill: the next restore, or qkmd at start-up, removes what it left
 * (cleanRestoreLeftovers).
 */
export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  o.assertNotInUse?.();
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  cleanRestoreLeftovers(o.dataDir);
  const work = WorkDir.create(o.dataDir, RESTORE_WORK_PREFIX);
  const stage = work.path;
  let candidate: string | undefined;
  try {
    const app = await unpackHalf(o.appFile, 'app', path.join(stage, 'app'));
    const data = await unpackHalf(o.dataFile, 'data', path.join(stage, 'data'));
    if (app.backupId !== data.backupId) {
      throw new BackupError('BACKUP_MISMATCH', `${path.basename(o.appFile)} and ${path.basename(o.dataFile)} come from different backups; give the QKMApp and QKMData files made by the same backup.`, { params: { appFile: path.basename(o.appFile), dataFile: path.basename(o.dataFile) } });
    }
    if (app.serial !== o.serial && !o.allowOtherServer) {
      throw new BackupError('BACKUP_OTHER_SERVER', `This backup belongs to server ${app.serial}, not to this server (${o.serial}); use that server's own backup, or add --allow-other-server when replacing that server.`, { params: { backupSerial: app.serial, serial: o.serial } });
    }
    await confirmIfOlder(o, path.join(stage, 'data', DB_FILE), app.createdAt);
    const { master, sealedTo } = await readBackupMasterKey(path.join(stage, 'app'), app, path.basename(o.appFile), o.unlock);

    const name = `keystore-${stamp(o.world.now())}-${o.world.randomBytes(3).toString('hex')}`;
    recordCandidate(stage, name);
    candidate = path.join(o.dataDir, name);
    mkdirSync(candidate, { mode: 0o700 });
    writeFileDurable(path.join(candidate, MASTER_KEY_FILE), master, 0o600);
    master.fill(0);
    renameSync(path.join(stage, 'data', DB_FILE), path.join(candidate, DB_FILE));

    const libraries = await proveAndMarkForSync(candidate, o);
    const keys = data.counts?.keys ?? 0;
    for (const f of [MASTER_KEY_FILE, DB_FILE]) fsyncFile(path.join(candidate, f));
    fsyncDir(candidate);

    o.assertNotInUse?.();
    const previous = switchKeystore(o.dataDir, candidate);
    candidate = undefined;
    return { keys, libraries, backupSerial: app.serial, backupCreatedAt: app.createdAt, previous, sealedTo };
  } finally {
    if (candidate) rmSync(candidate, { recursive: true, force: true });
    work.remove();
  }
}

/**
 * Removes what killed restores left: their work folders (with the unpacked master key)
 * and any candidate keystore that never became the live one. A keystore that did is
 * kept, and so is every copy a finished restore kept aside.
 */
export function cleanRestoreLeftovers(dataDir: string): string[] {
  return cleanStaleWorkDirs(dataDir, RESTORE_WORK_PREFIX, (dir) => {
    const name = candidateOf(dir);
    if (name && name !== liveKeystoreName(dataDir)) rmSync(path.join(dataDir, name), { recursive: true, force: true });
  });
}

/** Going back to fewer keys, or fewer handed out, needs the administrator's yes. */
async function confirmIfOlder(o: RestoreOptions, backupDb: string, backupCreatedAt: string): Promise<void> {
  const live = liveKeystoreName(o.dataDir);
  if (!live) return;
  const liveCounts = countsOf(path.join(o.dataDir, live, DB_FILE));
  if (!liveCounts) return; // a live keystore that cannot be read is what a restore is for
  const backup = countsOf(backupDb);
  if (!backup || (backup.keys >= liveCounts.keys && backup.handedOut >= liveCounts.handedOut)) return;
  const older: OlderBackup = { live: liveCounts, backup, backupCreatedAt };
  if (o.confirmOlder && (await o.confirmOlder(older))) return;
  throw new BackupError('BACKUP_OLDER', `${olderText(older)}; ${o.confirmOlder ? 'nothing was changed' : 'add --yes to restore it all the same'}.`, { params: { ...older, asked: o.confirmOlder !== undefined } });
}

/** The administrator's question, or the refusal, without its ending. */
export function olderText(c: OlderBackup): string {
  return `The backup of ${c.backupCreatedAt} is older than the keystore it would replace (it holds ${c.backup.keys} keys, ${c.backup.handedOut} handed out; the keystore holds ${c.live.keys} keys, ${c.live.handedOut} handed out)`;
}

/** Opens the candidate as qkmd would, checks every record, and requires a sync per library. */
async function proveAndMarkForSync(dir: string, o: RestoreOptions): Promise<string[]> {
  let store: Keystore;
  try {
    store = Keystore.openDir(dir, o.world);
  } catch (e) {
    const why = e instanceof QkmError ? e.message.replace(/;.*$/, '') : String(e);
    throw new BackupError('BACKUP_UNUSABLE', `The backup's keystore cannot be opened (${why}); use another backup.`, { cause: e, params: { reason: why } });
  }
  try {
    const report = await checkKeystore(store, o.onProgress);
    if (report.problems.length > 0) {
      const first = report.problems[0]!;
      throw new BackupError('BACKUP_DAMAGED', `The backup's keystore fails its check (${report.problems.length} problem(s), first: ${first.subject}: ${first.problem}); use another backup.`, { params: { problems: report.problems.length, subject: first.subject, problem: first.problem } });
    }
    const db = store.db;
    const tickets = new Tickets(db, o.world.now);
    return db.transaction(() => {
      db.prepare('UPDATE libraries SET needs_sync = 1').run();
      const names = db.prepare('SELECT name FROM libraries ORDER BY name').pluck().all() as string[];
      for (const name of names) tickets.raise('sync-needed', { library: name });
      return names;
    }).immediate();
  } finally {
    store.close();
  }
}

async function unpackHalf(file: string, part: Part, dir: string): Promise<Manifest> {
  const label = path.basename(file);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new BackupError('BACKUP_NOT_FOUND', `Backup file ${file} does not exist; give the path of the ${part === 'app' ? 'QKMApp' : 'QKMData'} file.`, { params: { file, part } });
  }
  mkdirSync(dir, { recursive: true });
  const allowed = new Set([MANIFEST, ...ACCEPTED_FILES[part]]);
  const seen = new Set<string>();
  try {
    await tar.x({
      file, cwd: dir, strict: true,
      // Only the expected plain files are written; nothing else in an archive can land anywhere.
      filter: (p, entry) => {
        const ok = allowed.has(p) && !seen.has(p) && (entry as tar.ReadEntry).type === 'File';
        if (ok) seen.add(p);
        return ok;
      },
    });
  } catch (e) {
    throw new BackupError('BACKUP_UNREADABLE', `${label} is damaged or not a qkm backup (it cannot be unpacked); copy the file again from where the backup is kept.`, { cause: e, params: { file: label } });
  }
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch (e) {
    throw new BackupError('BACKUP_UNREADABLE', `${label} has no readable manifest, so it is not a qkm backup or it is damaged; copy the file again from where the backup is kept.`, { cause: e, params: { file: label } });
  }
  if (m.format !== BACKUP_FORMAT || typeof m.formatVersion !== 'number' || !Array.isArray(m.files)) {
    throw new BackupError('BACKUP_UNREADABLE', `${label} is not a qkm backup; give the QKMApp and QKMData files a backup of this key manager wrote.`, { params: { file: label, notQkm: true } });
  }
  if (m.formatVersion > BACKUP_FORMAT_VERSION || m.schemaVersion > SCHEMA_VERSION) {
    throw new BackupError('BACKUP_TOO_NEW', `${label} was written by a newer qkm (backup format ${m.formatVersion}, schema ${m.schemaVersion}); install that qkm version before restoring it.`, { params: { file: label, formatVersion: m.formatVersion, schemaVersion: m.schemaVersion } });
  }
  if (m.part !== part) {
    throw new BackupError('BACKUP_WRONG_PART', `${label} is the ${m.part === 'app' ? 'QKMApp' : 'QKMData'} half; give the QKMApp file first and the QKMData file second.`, { params: { file: label, part: m.part } });
  }
  for (const name of filesOf(part, m.formatVersion)) {
    const entry = m.files.find((f) => f.name === name);
    const got = path.join(dir, name);
    if (!entry || !existsSync(got) || statSync(got).size !== entry.size || (await sha256File(got)) !== entry.sha256) {
      throw new BackupError('BACKUP_TAMPERED', `${label} does not match its manifest (${name} is missing, truncated or altered); copy the file again from where the backup is kept.`, { params: { file: label, member: name } });
    }
  }
  return m;
}
