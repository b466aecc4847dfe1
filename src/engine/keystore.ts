import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { KeystoreError } from '../errors.js';
import { diskTroubleOf, diskTroubleWords } from '../util/disk-errors.js';
import { fsyncDir } from '../util/durable-file.js';
import { MASTER_KEY_FILE, type MasterKeys, createMasterKey, deriveKeys, readMasterKey, sameCheckValue } from './master-key.js';
import { RecordSealer } from './record-crypto.js';
import { MIGRATIONS, READABLE_FROM, SCHEMA_VERSION } from './schema.js';
import type { World } from './world.js';

export const KEYSTORE_LINK = 'keystore';


/** meta key: how many keys were ever stored outside a set (see countLooseKey). */
export const LOOSE_KEYS_META = 'loose_keys_stored';
/** Told before an existing keystore is migrated to this software's schema (it may take a while). */
export type UpgradeNotice = (u: { from: number; to: number; keys: number }) => void;
export const DB_FILE = 'keystore.db';

/**
 * The keystore lives in a directory (database + master key, side by side) that the
 * symlink `<data_dir>/keystore` points at. Replacing it (restore) is one atomic
 * rename of that link, so the database and its master key always change together.
 */
export class Keystore {
  /** Seals and opens this keystore's key records. */
  readonly sealer: RecordSealer;

  private constructor(
    readonly db: Database.Database,
    readonly dir: string,
    readonly keys: MasterKeys,
  ) {
    this.sealer = new RecordSealer(keys.records);
  }

  static exists(dataDir: string): boolean {
    return existsSync(path.join(dataDir, KEYSTORE_LINK));
  }

  /** Opens the keystore of a data directory, creating it (and its master key) on first use. */
  static open(dataDir: string, world: World, opts: { create?: boolean; serial?: string; onUpgrade?: UpgradeNotice } = {}): Keystore {
    const link = path.join(dataDir, KEYSTORE_LINK);
    if (!existsSync(link)) {
      if (!opts.create) {
        throw new KeystoreError('KEYSTORE_MISSING', `There is no keystore in ${dataDir}; start qkmd once to create it, or pass the right --data-dir.`, { params: { dataDir } });
      }
      const dir = createKeystoreDir(dataDir, world, opts.serial ?? '');
      switchKeystore(dataDir, dir);
    }
    return Keystore.openDir(path.join(dataDir, readlinkSync(link)), world, opts.onUpgrade);
  }

  /** Opens a keystore directory directly (restore uses this to prove a candidate good). */
  static openDir(dir: string, world: World, onUpgrade?: UpgradeNotice): Keystore {
    const master = readMasterKey(path.join(dir, MASTER_KEY_FILE));
    const keys = deriveKeys(master);
    master.fill(0);
    const dbFile = path.join(dir, DB_FILE);
    if (!existsSync(dbFile)) {
      throw new KeystoreError('KEYSTORE_MISSING', `The keystore database ${dbFile} is missing; restore the keystore from a backup.`, { params: { file: dbFile } });
    }
    let db: Database.Database;
    try {
      db = new Database(dbFile, { fileMustExist: true });
      prepareConnection(db);
      migrate(db, dbFile, keys, world, onUpgrade);
    } catch (e) {
      if (e instanceof KeystoreError) throw e;
      // A full or failing disk is not a damaged keystore: say which, not "restore from a backup".
      const disk = diskTroubleOf(e, dir);
      if (disk) throw new KeystoreError('KEYSTORE_DISK', diskTroubleWords(disk), { cause: e, params: disk });
      throw new KeystoreError('KEYSTORE_UNREADABLE', `The keystore database ${dbFile} cannot be opened (${(e as Error).message}); check the keystore, or restore from a backup.`, { cause: e, params: { file: dbFile, reason: (e as Error).message } });
    }
    const stored = db.prepare('SELECT v FROM meta WHERE k = ?').pluck().get('master_check') as string | undefined;
    if (stored === undefined || !sameCheckValue(stored, keys.checkValue)) {
      db.close();
      throw new KeystoreError('MASTER_KEY_MISMATCH', `The master key in ${dir} does not belong to its keystore database; restore both from the same backup.`, { params: { dir } });
    }
    return new Keystore(db, dir, keys);
  }

  meta(key: string): string | undefined {
    return this.db.prepare('SELECT v FROM meta WHERE k = ?').pluck().get(key) as string | undefined;
  }

  /**
   * Counts one key stored from outside a set (registered, minted or imported), in the
   * caller's transaction. A backup compares the count in its snapshot with the live one:
   * key numbers cannot tell (SQLite reuses the highest seq once its row is deleted).
   */
  countLooseKey(): void {
    this.db.prepare("INSERT INTO meta (k, v) VALUES (?, '1') ON CONFLICT (k) DO UPDATE SET v = CAST(v AS INTEGER) + 1").run(LOOSE_KEYS_META);
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function prepareConnection(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before we say a key was allocated.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // qkmd and qkmcmds share the file; wait for each other rather than fail.
  db.pragma('busy_timeout = 10000');
  // 32 MiB of page cache: a set's inserts and a full check stay in memory, well inside qkmd's RSS budget.
  db.pragma('cache_size = -32768');
}

function migrate(db: Database.Database, dbFile: string, keys: MasterKeys, world: World, onUpgrade?: UpgradeNotice): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    // Left by a newer version that promised this one could use it (a rollback): opened as it is.
    const readableFrom = Number(db.prepare("SELECT v FROM meta WHERE k = 'readable_from'").pluck().get() ?? Number.NaN);
    if (readableFrom <= SCHEMA_VERSION) return;
    throw new KeystoreError('KEYSTORE_TOO_NEW', `The keystore ${dbFile} has schema version ${version}, newer than this qkm understands (${SCHEMA_VERSION}); install the newer qkm software it came from.`, { params: { file: dbFile, version, understood: SCHEMA_VERSION } });
  }
  // A new keystore (version 0) is not an upgrade worth announcing.
  if (version > 0 && version < SCHEMA_VERSION) {
    onUpgrade?.({ from: version, to: SCHEMA_VERSION, keys: db.prepare('SELECT COUNT(*) FROM keys').pluck().get() as number });
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      const step = MIGRATIONS[v]!;
      if (typeof step === 'string') db.exec(step);
      else step(db, keys, world);
      db.pragma(`user_version = ${v + 1}`);
      if (v + 1 === SCHEMA_VERSION) db.prepare("INSERT INTO meta (k, v) VALUES ('readable_from', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v").run(String(READABLE_FROM));
    }).immediate();
  }
}

/** Makes a fresh keystore directory (not yet pointed at by the link). */
export function createKeystoreDir(dataDir: string, world: World, serial: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const dir = path.join(dataDir, `keystore-${stamp(world.now())}-${world.randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  const master = createMasterKey(path.join(dir, MASTER_KEY_FILE), world);
  const keys = deriveKeys(master);
  master.fill(0);
  const db = new Database(path.join(dir, DB_FILE));
  chmodSync(path.join(dir, DB_FILE), 0o600); // SQLite gives its -wal and -shm files the same mode
  try {
    prepareConnection(db);
    migrate(db, dir, keys, world);
    const put = db.prepare('INSERT INTO meta (k, v) VALUES (?, ?)');
    db.transaction(() => {
      put.run('master_check', keys.checkValue);
      put.run('serial', serial);
      put.run('created_at', String(world.now()));
    })();
  } finally {
    db.close();
  }
  fsyncDir(dir);
  return dir;
}

/** Points `<data_dir>/keystore` at `dir` in one atomic step; returns the directory it pointed at before. */
export function switchKeystore(dataDir: string, dir: string): string | undefined {
  const link = path.join(dataDir, KEYSTORE_LINK);
  const previous = existsSync(link) ? path.join(dataDir, readlinkSync(link)) : undefined;
  const tmp = path.join(dataDir, `.${KEYSTORE_LINK}.next`);
  rmSync(tmp, { force: true });
  symlinkSync(path.basename(dir), tmp);
  renameSync(tmp, link);
  fsyncDir(dataDir);
  return previous;
}

export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '').slice(0, 14);
}
