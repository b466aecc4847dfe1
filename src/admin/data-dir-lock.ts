import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QkmError } from '../errors.js';

/**
 * Who may change a data directory wholesale: one qkmd, or one restore, sync or keystore
 * upgrade, never two of them at once. The decision is a kernel lock (SQLite's fcntl
 * write lock on <data_dir>/qkm.lock, held in an open EXCLUSIVE transaction), so it dies
 * with its process: a SIGKILL or a power cut never leaves the directory "in use". The
 * pid files beside it only say who holds it, for the message; they decide nothing.
 *
 * POSIX locks belong to the process and fall when ANY descriptor of the file is closed,
 * so nothing in this process may open qkm.lock except through this module (SQLite keeps
 * its own connections to one file from undoing each other's locks).
 */
export const LOCK_FILE = 'qkm.lock';

/** The program holding the lock, and for qkmcmds the command ("restore"). */
export interface LockHolder {
  program: string;
  task?: string;
}

export interface HeldBy extends LockHolder {
  /** From the holder's pid file: information only, and unknown if it was not written yet. */
  pid?: number;
}

interface Held {
  db: Database.Database;
  infoFile: string;
  claims: number;
}

/** Locks this process holds, by data directory: a holder asking again gets it again. */
const held = new Map<string, Held>();

const infoFileOf = (dataDir: string, program: string) => path.join(dataDir, `${program}.pid`);

/**
 * Claims the data directory for this process until the returned release is called (or
 * the process ends, however it ends). Refused with one sentence naming the holder.
 * `action` is what the caller wants to do, for that sentence ("restore a backup").
 */
export function claimDataDir(dataDir: string, who: LockHolder = { program: 'qkmd' }, action = 'start qkmd'): () => void {
  const key = path.resolve(dataDir);
  const mine = held.get(key);
  if (mine) {
    mine.claims++;
    return once(() => release(key));
  }
  mkdirSync(key, { recursive: true, mode: 0o700 });
  const db = holdKernelLock(path.join(key, LOCK_FILE));
  if (!db) throw refusal(key, heldBy(key), who, action);
  const infoFile = infoFileOf(key, who.program);
  held.set(key, { db, infoFile, claims: 1 });
  try {
    writeFileSync(infoFile, `${process.pid}\n${who.task ? `${who.task}\n` : ''}`, { mode: 0o644 });
  } catch {
    // Information only (a full disk must not stop qkmd): the refusal then says "pid unknown".
  }
  return once(() => release(key));
}

/**
 * The kernel lock on `file` (SQLite's fcntl write lock, held in an open EXCLUSIVE
 * transaction) until the returned database is closed or this process ends; undefined
 * when another process holds it. Other modules (the menu console's lock) take theirs
 * through here, each on its own file.
 */
export function holdKernelLock(file: string): Database.Database | undefined {
  // Created owner-only before SQLite sees it: a user who could read it could hold a read
  // lock on it, and keep its owner from ever taking it.
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file, { timeout: 500 });
  try {
    // Nothing is ever written to the lock database, and an in-memory journal leaves no
    // -journal file beside it when the holder is killed.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (e) {
    db.close();
    if (!isBusy(e)) throw lockFileProblem(file, e);
    return undefined;
  }
}

function release(key: string): void {
  const h = held.get(key);
  if (!h || --h.claims > 0) return;
  held.delete(key);
  // The pid file goes first: whoever finds the lock free may write its own.
  rmSync(h.infoFile, { force: true });
  h.db.close(); // ends the transaction, and so the lock
}

/** Who holds the data directory's lock, or undefined if nobody (a dead process holds nothing). */
export function dataDirHolder(dataDir: string): HeldBy | undefined {
  const key = path.resolve(dataDir);
  if (held.has(key)) return { program: path.basename(held.get(key)!.infoFile, '.pid'), pid: process.pid };
  let db: Database.Database;
  try {
    db = new Database(path.join(key, LOCK_FILE), { fileMustExist: true, timeout: 0 });
  } catch {
    return undefined; // no lock file: nobody ever held it here
  }
  try {
    // A read needs a shared lock, which a holder's exclusive one refuses: a probe, no more.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return undefined;
  } catch (e) {
    if (isBusy(e)) return heldBy(key);
    throw lockFileProblem(path.join(key, LOCK_FILE), e);
  } finally {
    db.close();
  }
}

/** The pid of the qkmd that holds this data directory, if one does. */
export function runningQkmd(dataDir: string): number | undefined {
  const h = dataDirHolder(dataDir);
  return h?.program === 'qkmd' ? h.pid : undefined;
}

/** Refuses with one sentence if another process holds the data directory. */
export function assertQkmdStopped(dataDir: string, action: string): void {
  const key = path.resolve(dataDir);
  if (held.has(key)) return; // this process is the holder: it is doing the action itself
  const h = dataDirHolder(key);
  if (h) throw refusal(key, h, { program: 'qkmcmds' }, action);
}

/** Reads the holders' pid files; the newest whose process lives wins (a stale one may name a reused pid). */
function heldBy(dataDir: string): HeldBy {
  const found: (HeldBy & { at: number })[] = [];
  for (const program of ['qkmd', 'qkmcmds']) {
    const file = infoFileOf(dataDir, program);
    try {
      const lines = readFileSync(file, 'utf8').split('\n');
      const pid = Number(lines[0]);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) found.push({ program, pid, task: lines[1] || undefined, at: statSync(file).mtimeMs });
    } catch {
      // no such pid file
    }
  }
  const newest = found.sort((a, b) => b.at - a.at)[0];
  return newest ? { program: newest.program, pid: newest.pid, task: newest.task } : { program: 'unknown' };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function refusal(dataDir: string, h: HeldBy, who: LockHolder, action: string): QkmError {
  const pid = h.pid ? `pid ${h.pid}` : 'pid unknown';
  if (h.program === 'qkmd') {
    return who.program === 'qkmd'
      ? new QkmError('ALREADY_RUNNING', `qkmd is already running (${pid}) on ${dataDir}; stop it first or give another --data-dir.`)
      : new QkmError('QKMD_RUNNING', `qkmd is running (${pid}) on ${dataDir}; stop it before you ${action}.`);
  }
  if (h.program === 'unknown') {
    return new QkmError('DATA_DIR_BUSY', `Another process holds ${path.join(dataDir, LOCK_FILE)} (a qkmd, or a restore, sync or keystore upgrade); wait for it to finish or stop it before you ${action}.`);
  }
  const name = h.task ? `${h.program} ${h.task}` : h.program;
  return new QkmError('DATA_DIR_BUSY', `${name} is running (${pid}) on ${dataDir}; wait for it to finish before you ${action}.`);
}

function lockFileProblem(file: string, e: unknown): QkmError {
  return new QkmError('LOCK_FILE_UNUSABLE', `${file} cannot be used as qkm's lock (${(e as Error).message}); if it is not qkm's, move it away and try again.`, { cause: e });
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}
