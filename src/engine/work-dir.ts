import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * A folder of temporary work (a backup's snapshot, a restore's staging) that belongs to
 * one live process. Its owner holds a kernel lock on `<folder>/.owner` (SQLite's fcntl
 * lock, in an open EXCLUSIVE transaction) for as long as it works, so a SIGKILL or a power
 * cut frees it, and whoever comes next (qkmd at start-up, the next backup or restore) can
 * tell a left-over folder from one in use without guessing from pids or ages.
 *
 * Nobody removes a folder without holding its lock: a cleaner takes the lock (creating
 * the lock file if the owner died before it made one) and only then deletes. An owner
 * that loses that race to a cleaner sees its folder gone once it holds the lock, and
 * starts again with a new folder.
 */
const OWNER = '.owner';
const ATTEMPTS = 5;

export class WorkDir {
  private constructor(readonly path: string, private lock: Database.Database | undefined) {}

  /** Makes and locks a fresh folder `<parent>/<prefix>XXXXXX`. */
  static create(parent: string, prefix: string): WorkDir {
    for (let attempt = 0; ; attempt++) {
      const dir = mkdtempSync(path.join(parent, prefix));
      const lock = tryLock(dir);
      if (lock && existsSync(path.join(dir, OWNER))) return new WorkDir(dir, lock);
      lock?.close();
      if (attempt + 1 >= ATTEMPTS) throw new Error(`cannot lock a work folder in ${parent}: another process keeps removing them`);
    }
  }

  /** Removes the folder and everything in it, then lets go of the lock. */
  remove(): void {
    if (!this.lock) return;
    rmSync(this.path, { recursive: true, force: true });
    this.lock.close();
    this.lock = undefined;
  }
}

/**
 * Every `<parent>/<prefix>*` folder whose owner is gone, each handed to `recover` while
 * this process holds its lock, then removed. A folder in use is left alone.
 */
export function cleanStaleWorkDirs(parent: string, prefix: string, recover: (dir: string) => void = () => {}): string[] {
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(prefix));
  } catch {
    return []; // no data directory yet: nothing was left in it
  }
  const cleaned: string[] = [];
  for (const name of names) {
    const dir = path.join(parent, name);
    const lock = tryLock(dir);
    if (!lock) continue; // its owner is alive
    try {
      recover(dir);
      rmSync(dir, { recursive: true, force: true });
      cleaned.push(dir);
    } finally {
      lock.close();
    }
  }
  return cleaned;
}

/** The folder's lock, or undefined if another live process holds it (or the folder is gone). */
function tryLock(dir: string): Database.Database | undefined {
  let db: Database.Database;
  try {
    db = new Database(path.join(dir, OWNER), { timeout: 0 });
  } catch (e) {
    if (!existsSync(dir)) return undefined;
    throw e;
  }
  try {
    // Nothing is ever written: an in-memory journal leaves no -journal file after a kill.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (e) {
    db.close();
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return undefined;
    throw e;
  }
}
