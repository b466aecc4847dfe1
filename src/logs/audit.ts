import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { holdKernelLock } from '../admin/data-dir-lock.js';
import { QkmError, isQkmError } from '../errors.js';
import { fsyncDir, writeFileDurable } from '../util/durable-file.js';
import { describeFileError } from '../util/file-errors.js';
import { type AuditEntry, type AuditFields, type ChainLink, GENESIS, decodeLine, encodeEntry } from './audit-chain.js';
import { boundFields } from './bounded-fields.js';
import { DEFAULT_LOG_LIMITS } from './logger.js';
import { type RotationLimits, fileCapOf } from './rotating-file.js';

export type { AuditEntry, AuditFields, AuditOutcome } from './audit-chain.js';

/**
 * The audit log: one entry per administrative act (who, what, how it ended), each sealed
 * with a hash chained to the entry before, so an edited, dropped, reordered or removed
 * entry shows (src/logs/audit-verify.ts says where). It lives in <data_dir>/logs:
 *
 *   audit.log            the current file
 *   audit.log.<seq>      older files, named by the number of their last entry (zero-padded)
 *   audit.head           the number and hash of the last entry written, so that a log cut
 *                        short at a line boundary shows too
 *   audit.lock           taken while an entry is written (qkmd and qkmcmds both write)
 *
 * `record` returns once the entry is on disk (fsync), so a command that records before it
 * reports success never reports an act the log does not hold. When the oldest files go
 * to keep the size cap, an entry in the chain says which, up to which entry and hash, so
 * a verifier tells the files the cap removed from files someone deleted.
 */
export const AUDIT_FILE = 'audit.log';
export const AUDIT_HEAD = 'audit.head';
const AUDIT_LOCK = 'audit.lock';
const ROTATED = /^audit\.log\.(\d{10})(?:-(\d+))?$/;

/** No entry line is longer: an entry whose details would be is stored without them. */
const MAX_LINE = 4096;
/** A record may write three lines (a damage note, a pruning note, the entry). */
const RECORD_ROOM = 3 * MAX_LINE;
const LOCK_WAIT_MS = 15_000;

export interface AuditLogOptions {
  /** The program writing (qkmd, qkmcmds). */
  program: string;
  /** The [log] size limits; the audit log rotates under them like the other logs. */
  limits?: RotationLimits;
  now?: () => number;
}

export function auditDir(dataDir: string): string {
  return path.join(dataDir, 'logs');
}

export class AuditLog {
  readonly dir: string;
  readonly file: string;
  private readonly limits: RotationLimits;
  private readonly now: () => number;

  constructor(dataDir: string, private readonly opts: AuditLogOptions) {
    this.dir = auditDir(dataDir);
    this.file = path.join(this.dir, AUDIT_FILE);
    this.limits = opts.limits ?? DEFAULT_LOG_LIMITS;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Appends one entry and returns it once it is on disk. Throws AUDIT_WRITE when it cannot
   * be written (a full disk, ...) and AUDIT_BUSY when another writer holds the log too long.
   */
  record(fields: AuditFields): AuditEntry {
    try {
      return withAuditLock(this.dir, () => this.append(fields));
    } catch (e) {
      if (isQkmError(e)) throw e;
      throw new QkmError('AUDIT_WRITE', `The audit log ${this.file} cannot be written (${describeFileError(e)}), so the action was not recorded; fix the disk and try again.`, {
        params: { file: this.file, reason: describeFileError(e) },
        cause: e,
      });
    }
  }

  private append(fields: AuditFields): AuditEntry {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const current = readTail(this.file);
    // A line a crash cut short was never acknowledged: it goes, the chain continues before it.
    if (current.torn > 0) truncateBy(this.file, current.torn);
    let last = current.last ?? newestRotatedLink(this.dir);
    const lines: string[] = [];
    const entries: AuditEntry[] = [];
    const add = (f: AuditFields) => {
      const entry = this.entryAfter(last, f);
      const { line, hash } = encodeEntry(entry);
      lines.push(line);
      entries.push({ ...entry, hash });
      last = { seq: entry.seq, hash };
    };

    const head = readHead(this.dir);
    if (head && (!last || last.seq < head.seq)) {
      // Entries that were written are gone (a file cut short or removed). Continuing from
      // the head leaves the gap in the chain for the verifier, and this entry dates it.
      const found = last?.seq ?? 0;
      last = head;
      add({ action: 'audit log damaged', outcome: 'failed', details: { lastFound: found, lastWritten: head.seq } });
    }

    let pruned: string[] = [];
    if (current.size - current.torn + RECORD_ROOM > fileCapOf(this.limits) && current.last) {
      pruned = this.rotate(current.last.seq);
      if (pruned.length > 0) {
        const through = readTail(path.join(this.dir, pruned[pruned.length - 1]!)).last;
        add({ action: 'audit log pruned', outcome: 'done', details: { removed: pruned, throughSeq: through?.seq, throughHash: through?.hash } });
      }
    }
    add(fields);

    const created = !existsSync(this.file);
    appendDurably(this.file, lines.join(''));
    if (created) fsyncDir(this.dir);
    writeFileDurable(path.join(this.dir, AUDIT_HEAD), `${JSON.stringify(last)}\n`, 0o600);
    // Removed only once the chain says so: a crash before this leaves an extra old file, not a gap.
    for (const name of pruned) rmSync(path.join(this.dir, name), { force: true });
    if (pruned.length > 0) fsyncDir(this.dir);
    return entries[entries.length - 1]!;
  }

  private entryAfter(last: ChainLink | undefined, f: AuditFields): Omit<AuditEntry, 'hash'> {
    const entry: Omit<AuditEntry, 'hash'> = {
      seq: (last?.seq ?? 0) + 1,
      time: new Date(this.now()).toISOString(),
      program: this.opts.program,
      pid: process.pid,
      actor: f.actor ?? this.opts.program,
      action: f.action,
      outcome: f.outcome,
      details: f.details === undefined ? undefined : boundFields(f.details),
      prev: last?.hash ?? GENESIS,
    };
    if (encodeEntry(entry).line.length > MAX_LINE) entry.details = { omitted: 'details too long to keep' };
    return entry;
  }

  /** Moves the current file aside; returns the older files to remove to stay within the cap, oldest first. */
  private rotate(lastSeq: number): string[] {
    let name = `${AUDIT_FILE}.${String(lastSeq).padStart(10, '0')}`;
    if (existsSync(path.join(this.dir, name))) name = `${name}-${this.now()}`;
    renameSync(this.file, path.join(this.dir, name));
    fsyncDir(this.dir);
    const older = rotatedFiles(this.dir).map((f) => ({ f, size: statSync(path.join(this.dir, f)).size }));
    let total = older.reduce((sum, o) => sum + o.size, 0);
    const budget = this.limits.maxTotalBytes - fileCapOf(this.limits);
    const remove: string[] = [];
    for (const o of older) {
      if (total <= budget || o.f === name) break;
      remove.push(o.f);
      total -= o.size;
    }
    return remove;
  }
}

/** The older audit files, oldest first (by the number of their last entry). */
export function rotatedFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const order = (n: string) => {
    const m = ROTATED.exec(n)!;
    return [Number(m[1]), Number(m[2] ?? 0)] as const;
  };
  return names.filter((n) => ROTATED.test(n)).sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || x[1] - y[1];
  });
}

/** Every file of the chain, oldest first, the current one last (if there is one). */
export function chainFiles(dir: string): string[] {
  const files = rotatedFiles(dir);
  if (existsSync(path.join(dir, AUDIT_FILE))) files.push(AUDIT_FILE);
  return files;
}

/** The last entry written, as audit.head has it (undefined if there is none or it cannot be read). */
export function readHead(dir: string): ChainLink | undefined {
  try {
    const h = JSON.parse(readFileSync(path.join(dir, AUDIT_HEAD), 'utf8')) as ChainLink;
    return Number.isSafeInteger(h.seq) && typeof h.hash === 'string' ? { seq: h.seq, hash: h.hash } : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `f` holding the audit log's kernel lock (it dies with its process). */
export function withAuditLock<T>(dir: string, f: () => T): T {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, AUDIT_LOCK);
  const deadline = Date.now() + LOCK_WAIT_MS;
  // Each try waits up to half a second in SQLite's own busy handler.
  let db = holdKernelLock(file);
  while (!db) {
    if (Date.now() > deadline) {
      throw new QkmError('AUDIT_BUSY', `Another program has held the audit log ${file} for over ${LOCK_WAIT_MS / 1000} seconds, so the action was not recorded; try again.`, { params: { file } });
    }
    db = holdKernelLock(file);
  }
  try {
    return f();
  } finally {
    db.close();
  }
}

interface Tail {
  size: number;
  /** Bytes after the last newline: a line a crash cut short. */
  torn: number;
  last: ChainLink | undefined;
}

/** The last entry of a file that can be read, from its last few lines. */
function readTail(file: string): Tail {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, torn: 0, last: undefined };
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, 4 * RECORD_ROOM);
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = readSync(fd, buf, got, n - got, size - n + got);
      if (r === 0) break;
      got += r;
    }
    const text = buf.subarray(0, got).toString('utf8');
    const end = text.lastIndexOf('\n');
    const torn = Buffer.byteLength(text.slice(end + 1));
    const lines = text.slice(0, end + 1).split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const d = decodeLine(lines[i]!);
      if (d.readable) return { size, torn, last: { seq: d.entry.seq, hash: d.entry.hash } };
    }
    return { size, torn, last: undefined };
  } finally {
    closeSync(fd);
  }
}

function newestRotatedLink(dir: string): ChainLink | undefined {
  const older = rotatedFiles(dir);
  for (let i = older.length - 1; i >= 0; i--) {
    const last = readTail(path.join(dir, older[i]!)).last;
    if (last) return last;
  }
  return undefined;
}

function truncateBy(file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, fstatSync(fd).size - bytes);
  } finally {
    closeSync(fd);
  }
}

function appendDurably(file: string, text: string): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    const data = Buffer.from(text, 'utf8');
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
