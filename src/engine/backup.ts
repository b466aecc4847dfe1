import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, fchmodSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { BackupError, QkmError } from '../errors.js';
import { Tickets } from '../ras/tickets.js';
import { diskTroubleOf, diskTroubleWords } from '../util/disk-errors.js';
import { fsyncDir, fsyncFile, writeFileDurable } from '../util/durable-file.js';
import { APP_FILES, BACKUP_FORMAT, BACKUP_FORMAT_VERSION, DATA_FILES, MANIFEST, type Manifest, type Part, backupFileName, sha256File } from './backup-format.js';
import type { EngineSettings, KeyEngine, Progress } from './key-engine.js';
import { type BackupKey, writeSealedMasterKey } from './backup-seal.js';
import { DB_FILE, LOOSE_KEYS_META } from './keystore.js';
import { SCHEMA_VERSION } from './schema.js';
import { WorkDir, cleanStaleWorkDirs } from './work-dir.js';
import type { World } from './world.js';

export interface BackupResult {
  appFile: string;
  dataFile: string;
  backupId: string;
  keys: number;
  setsNowUsable: number;
}

/** A backup's work folder in the data directory: the snapshot, the master key copy, the publication plan. */
export const BACKUP_WORK_PREFIX = '.backup-';
/** In the work folder: where the two halves are being written, and what they will be called. */
const PLAN = 'publish.json';
/** In the work folder: both halves are complete and on disk; publishing may be finished by anyone. */
const READY = 'ready';

interface PublishPlan { halves: { tmp: string; target: string }[] }

/**
 * Takes a backup while the engine keeps serving: one consistent snapshot (a read
 * transaction on its own connection, so commits by qkmd go on beside it and never make
 * it start over), the master key beside it (sealed to the administrator's backup key), both halves written under temporary names and
 * then published together, and only then the sets in the snapshot released for use (the
 * manual's "back up before you use the keys"). Whatever fails or is killed leaves no
 * file in the target folder; a killed backup's leftovers are cleared by the next backup
 * or restore and by qkmd at start-up (cleanBackupLeftovers).
 */
export async function takeBackup(engine: KeyEngine, world: World, opts: { toDir: string; backupKey: BackupKey; onProgress?: Progress }): Promise<BackupResult> {
  // The keystore folder always lives in its data directory (keystore.ts, restore.ts).
  const dataDir = path.dirname(engine.store.dir);
  cleanBackupLeftovers(dataDir);
  const toDir = path.resolve(opts.toDir);
  const madeFolder = prepareFolder(toDir);
  try {
    return await backupInto(engine, world, dataDir, toDir, opts.backupKey, opts.onProgress);
  } catch (e) {
    if (madeFolder) {
      try {
        rmdirSync(toDir); // only if empty: what this backup made, it takes back
      } catch {
        // not empty or already gone
      }
    }
    throw e;
  }
}

async function backupInto(engine: KeyEngine, world: World, dataDir: string, toDir: string, backupKey: BackupKey, onProgress?: Progress): Promise<BackupResult> {
  const serial = engine.settings.serial;
  const now = world.now();
  const appFile = path.join(toDir, backupFileName('app', serial, now));
  const dataFile = path.join(toDir, backupFileName('data', serial, now));
  for (const f of [appFile, dataFile]) {
    if (existsSync(f)) throw new BackupError('BACKUP_EXISTS', `A backup named ${f} already exists; wait a second and run the backup again.`, { params: { file: f } });
  }
  const work = inFolder(dataDir, () => WorkDir.create(dataDir, BACKUP_WORK_PREFIX));
  const suffix = world.randomBytes(6).toString('hex');
  const plan: PublishPlan = { halves: [dataFile, appFile].map((target) => ({ target, tmp: path.join(toDir, `.${path.basename(target)}.${suffix}.part`) })) };
  try {
    const snapshot = path.join(work.path, DB_FILE);
    const { setIds, counts, heldLoose } = await inFolder(dataDir, async () => {
      await snapshotKeystore(path.join(engine.store.dir, DB_FILE), snapshot, onProgress);
      const sealed = sealSnapshot(snapshot, now);
      // The one place the master key enters the app half: sealed, inside the locked work folder.
      writeSealedMasterKey(engine.store.dir, work.path, backupKey, world);
      writeFileSync(path.join(work.path, 'settings.json'), `${JSON.stringify(keySettings(engine.settings), null, 2)}\n`);
      // Written before the first byte lands in the target folder: a killed backup's
      // temporary files there are found through it.
      writeFileDurable(path.join(work.path, PLAN), `${JSON.stringify(plan)}\n`, 0o600);
      return sealed;
    });
    const backupId = world.randomBytes(16).toString('hex');
    const base = { format: BACKUP_FORMAT, formatVersion: BACKUP_FORMAT_VERSION, backupId, serial, createdAt: new Date(now).toISOString(), schemaVersion: SCHEMA_VERSION } as const;
    const [dataHalf, appHalf] = plan.halves as [PublishPlan['halves'][0], PublishPlan['halves'][0]];
    await inFolder(toDir, async () => {
      await writeHalf(work.path, 'app', APP_FILES, { ...base, part: 'app', files: [] }, appHalf.tmp);
      await writeHalf(work.path, 'data', DATA_FILES, { ...base, part: 'data', files: [], counts }, dataHalf.tmp);
    });
    inFolder(dataDir, () => writeFileDurable(path.join(work.path, READY), '', 0o600));
    publish(plan);
    engine.markBackedUp(setIds, now, heldLoose);
    return { appFile, dataFile, backupId, keys: counts.keys, setsNowUsable: setIds.length };
  } catch (e) {
    for (const h of plan.halves) rmSync(h.tmp, { force: true });
    throw e;
  } finally {
    work.remove();
  }
}

/**
 * Finishes or undoes what killed backups left: a backup whose halves were both complete
 * is published, any other's temporary files are removed, and so is every work folder
 * (with its snapshot and master key copy). Backups still running are left alone.
 */
export function cleanBackupLeftovers(dataDir: string): string[] {
  return cleanStaleWorkDirs(dataDir, BACKUP_WORK_PREFIX, (dir) => {
    let plan: PublishPlan;
    try {
      plan = JSON.parse(readFileSync(path.join(dir, PLAN), 'utf8')) as PublishPlan;
    } catch {
      return; // killed before anything was written outside the work folder
    }
    if (existsSync(path.join(dir, READY))) publish(plan, true);
    for (const h of plan.halves) rmSync(h.tmp, { force: true });
  });
}

/**
 * Both halves are complete and fsynced under their temporary names; the data half is
 * renamed first, so that the half with the master key never stands without its partner
 * (and a backup interrupted in between is finished from its work folder).
 */
function publish(plan: PublishPlan, recovering = false): void {
  const done: string[] = [];
  try {
    for (const h of plan.halves) {
      if (!existsSync(h.tmp)) continue; // published before the kill
      if (existsSync(h.target)) {
        if (recovering) continue;
        throw new BackupError('BACKUP_EXISTS', `A backup named ${h.target} appeared while this one was written; run the backup again.`, { params: { file: h.target } });
      }
      renameSync(h.tmp, h.target);
      done.push(h.target);
    }
    fsyncDir(path.dirname(plan.halves[0]!.target));
  } catch (e) {
    for (const f of done) rmSync(f, { force: true });
    throw e;
  }
}

/**
 * One consistent snapshot while writers go on. SQLite's online backup restarts whenever
 * another connection commits, unless the source connection holds a read transaction for
 * the whole copy: then it copies exactly that moment, and WAL lets qkmd keep committing.
 */
async function snapshotKeystore(dbFile: string, target: string, onProgress?: Progress): Promise<void> {
  const source = new Database(dbFile, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    source.exec('BEGIN');
    source.prepare('SELECT COUNT(*) FROM meta').get(); // the read transaction (and its snapshot) starts here
    await source.backup(target, {
      progress: ({ totalPages, remainingPages }) => {
        onProgress?.(totalPages - remainingPages, totalPages);
        return 4096;
      },
    });
    source.exec('COMMIT');
  } finally {
    source.close();
  }
}

/** Makes the snapshot a standalone file whose pending sets count as backed up (this backup holds them). */
function sealSnapshot(file: string, now: number): { setIds: number[]; heldLoose: number; counts: NonNullable<Manifest['counts']> } {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    const setIds = db.prepare('SELECT id FROM key_sets WHERE backed_up_at IS NULL').pluck().all() as number[];
    db.prepare('UPDATE key_sets SET backed_up_at = ? WHERE backed_up_at IS NULL').run(now);
    new Tickets(db, () => now).close('backup-needed');
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    const heldLoose = Number(db.prepare('SELECT v FROM meta WHERE k = ?').pluck().get(LOOSE_KEYS_META) ?? 0);
    return { setIds, heldLoose, counts: { keys: count('SELECT COUNT(*) FROM keys'), sets: count('SELECT COUNT(*) FROM key_sets'), libraries: count('SELECT COUNT(*) FROM libraries') } };
  } finally {
    db.close();
  }
}

async function writeHalf(stage: string, part: Part, names: readonly string[], manifest: Manifest, tmp: string): Promise<void> {
  const dir = path.join(stage, part);
  mkdirSync(dir);
  for (const name of names) renameSync(path.join(stage, name), path.join(dir, name));
  for (const name of names) {
    const file = path.join(dir, name);
    manifest.files.push({ name, size: statSync(file).size, sha256: await sha256File(file) });
  }
  writeFileDurable(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
  // Created owner-only before tar writes into it: the app half carries the (sealed) master key.
  const fd = openSync(tmp, 'wx', 0o600);
  fchmodSync(fd, 0o600);
  closeSync(fd);
  // Random key material does not compress; level 1 keeps a million-key backup fast.
  await tar.c({ gzip: { level: 1 }, file: tmp, cwd: dir, portable: true }, [MANIFEST, ...names]);
  fsyncFile(tmp);
}

/**
 * `--to` must name a folder that can be written, or one to make in a folder that exists:
 * a mistyped path is said, not made (no mkdir -p). Returns whether the folder was made here.
 */
function prepareFolder(dir: string): boolean {
  let made = false;
  if (!existsSync(dir)) {
    const parent = path.dirname(dir);
    if (!isFolder(parent)) throw new BackupError('BACKUP_NO_FOLDER', `The folder ${parent} does not exist; create it first or give another folder with --to.`, { params: { folder: parent } });
    inFolder(parent, () => mkdirSync(dir, { mode: 0o700 }));
    made = true;
  }
  if (!isFolder(dir)) throw new BackupError('BACKUP_NOT_FOLDER', `${dir} is a file, not a folder; give the folder the two backup files should go in with --to.`, { params: { folder: dir } });
  inFolder(dir, () => accessSync(dir, constants.W_OK));
  return made;
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Runs a step that writes in `dir`; a disk or permission failure becomes one sentence naming it. */
function inFolder<T>(dir: string, step: () => T): T {
  try {
    const r = step();
    return r instanceof Promise ? (r.catch((e: unknown) => { throw folderProblem(dir, e); }) as T) : r;
  } catch (e) {
    throw folderProblem(dir, e);
  }
}

function folderProblem(dir: string, e: unknown): unknown {
  if (e instanceof QkmError) return e;
  // Named by the folder the user gave, not by the temporary file that hit the problem.
  const found = diskTroubleOf({ code: (e as { code?: unknown }).code }, dir);
  if (found) {
    const disk = { ...found, retry: 'run the backup again' };
    return new BackupError('BACKUP_DISK', diskTroubleWords(disk), { cause: e, params: disk });
  }
  const code = (e as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new BackupError('BACKUP_NO_ACCESS', `qkm may not write in ${dir} (permission denied); give a folder it may write in with --to.`, { cause: e, params: { folder: dir } });
  }
  return e;
}

function keySettings(s: EngineSettings): Record<string, unknown> {
  return { setSizes: s.setSizes, depletionPercent: s.depletionPercent, requireBackup: s.requireBackup };
}
