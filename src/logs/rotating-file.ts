import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describeFileError, isDiskFailure } from '../util/file-errors.js';

export interface RotationLimits {
  /** A log file is closed and a new one begun before it would grow past this. */
  maxFileBytes: number;
  /** The current file and the older ones together stay at or below this. */
  maxTotalBytes: number;
}

export interface RotatingFileOptions extends RotationLimits {
  /** Called once when writing starts to fail (and again only after it has recovered). */
  announce(sentence: string): void;
  /** A whole log line (newline included) that says something about the log itself. */
  notice(message: string, fields: Record<string, unknown>): string;
}

const ANNOUNCE_GAP_MS = 10 * 60_000;

/** Smallest file size the settings allow; a line longer than a file is replaced by a note. */
export const MIN_FILE_BYTES = 16 * 1024;

/** Two files at least (the current one and one older), each at most half the total. */
export function fileCapOf(limits: RotationLimits): number {
  return Math.max(MIN_FILE_BYTES, Math.min(limits.maxFileBytes, Math.floor(limits.maxTotalBytes / 2)));
}

/**
 * A log file written synchronously (the line that explains a crash is on disk before the
 * process dies) that rotates by size (`qkmd.log`, then `qkmd.log.1` the newest older one,
 * `qkmd.log.2`, ...) and keeps the total under a cap, removing the oldest file first.
 *
 * Writing never throws and never stops the program: when a write fails (a full disk, an
 * I/O error) the line is dropped, any part of it that reached the file is cut off again
 * (no half lines), the failure is announced once, and writing resumes by itself with a
 * line saying how many lines were lost.
 *
 * Written here rather than taken from a library: the rotating streams for pino
 * (pino-roll, rotating-file-stream, file-stream-rotator) write asynchronously, and
 * SonicBoom, which they build on, reports a failed write as an `error` event (fatal
 * without a listener) and leaves the part of a line that was written.
 */
export class RotatingLogFile {
  private fd = -1;
  private size = 0;
  private readonly fileCap: number;
  private readonly keep: number;
  /** Set while writes fail: since when, why, and how many lines were dropped. */
  private failing: { since: number; reason: string; lost: number } | undefined;
  private lastAnnounced = -Infinity;
  /** A fragment of a line could not be cut off: the next write starts on a new line. */
  private brokenTail = false;
  private closed = false;

  constructor(readonly file: string, private readonly opts: RotatingFileOptions) {
    this.fileCap = fileCapOf(opts);
    this.keep = Math.max(1, Math.floor(opts.maxTotalBytes / this.fileCap) - 1);
    try {
      this.open();
    } catch (e) {
      if (!isDiskFailure(e)) throw e;
      this.failed(e);
    }
  }

  /** pino's destination interface: one whole JSON line per call. */
  write(line: string): boolean {
    if (this.closed) return true;
    const lineBytes = Buffer.from(line, 'utf8');
    // The notice and the line go together or not at all: a notice that fits alone would
    // claim a recovery the next line disproves.
    const notice = this.failing ? Buffer.from(this.resumedNotice(), 'utf8') : Buffer.alloc(0);
    const data = notice.length + lineBytes.length <= this.fileCap ? Buffer.concat([notice, lineBytes])
      : Buffer.concat([notice, Buffer.from(this.opts.notice('a log line too long to keep was left out', { bytes: lineBytes.length }), 'utf8')]);
    try {
      if (this.fd < 0) this.open();
      this.append(data);
      this.failing = undefined;
    } catch (e) {
      this.failed(e);
    }
    return true;
  }

  /** Writes are synchronous: there is never anything left to flush. */
  flushSync(): void {}

  flush(cb?: (err?: Error) => void): void {
    cb?.();
  }

  end(): void {
    this.close();
  }

  close(): void {
    this.closed = true;
    this.closeFd();
  }

  /** True while lines are being dropped (for a status report or a test). */
  get isFailing(): boolean {
    return this.failing !== undefined;
  }

  private open(): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // O_APPEND: qkmcmds runs may share one file, and each line goes whole at its end.
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // an fd that cannot be closed is gone all the same
    }
    this.fd = -1;
  }

  /** Appends `data` whole, rotating first if it would not fit; on failure, leaves no part of it. */
  private append(data: Buffer): void {
    if (this.size > 0 && this.size + data.length > this.fileCap) this.rotate();
    if (this.brokenTail) {
      this.writeWhole(Buffer.from('\n'));
      this.brokenTail = false;
    }
    this.writeWhole(data);
  }

  private writeWhole(data: Buffer): void {
    let done = 0;
    try {
      while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
    } catch (e) {
      if (done > 0) this.cutOff(done);
      throw e;
    }
    this.size += data.length;
  }

  /** Removes the `written` bytes of a line that could not be finished. */
  private cutOff(written: number): void {
    try {
      ftruncateSync(this.fd, fstatSync(this.fd).size - written);
    } catch {
      this.brokenTail = true;
    }
  }

  private rotate(): void {
    // Another process sharing this log may have rotated it already: then only reopen.
    if (!this.rotatedByAnother()) {
      const dir = path.dirname(this.file);
      const base = path.basename(this.file);
      for (const name of readdirSync(dir)) {
        const n = olderIndex(base, name);
        if (n !== undefined && n >= this.keep) rmSync(path.join(dir, name), { force: true });
      }
      for (let n = this.keep - 1; n >= 1; n--) renameIfPresent(`${this.file}.${n}`, `${this.file}.${n + 1}`);
      renameSync(this.file, `${this.file}.1`);
      this.pruneToTotal();
    }
    this.closeFd();
    this.open();
  }

  /**
   * Older files are at most a file each, unless written under a larger max_file_kib:
   * then the oldest go too, so that with a full current file the total is still kept.
   */
  private pruneToTotal(): void {
    const budget = this.opts.maxTotalBytes - this.fileCap;
    let used = 0;
    for (let n = 1; n <= this.keep; n++) {
      const older = `${this.file}.${n}`;
      try {
        used += statSync(older).size;
      } catch {
        continue;
      }
      if (used > budget) rmSync(older, { force: true });
    }
  }

  private rotatedByAnother(): boolean {
    try {
      return statSync(this.file).ino !== fstatSync(this.fd).ino;
    } catch {
      return true;
    }
  }

  private failed(e: unknown): void {
    if (this.failing) {
      this.failing.lost++;
      return;
    }
    const reason = describeFileError(e);
    const now = Date.now();
    this.failing = { since: now, reason, lost: 1 };
    // Not a full disk but a file gone wrong (removed, replaced): open it anew next time.
    if (!isDiskFailure(e)) this.closeFd();
    // Once per failure; a disk that hovers at full must not repeat it line after line.
    if (now - this.lastAnnounced < ANNOUNCE_GAP_MS) return;
    this.lastAnnounced = now;
    this.opts.announce(`cannot write its log ${this.file} (${reason}); it keeps running without it and logs again as soon as it can.`);
  }

  private resumedNotice(): string {
    const f = this.failing!;
    return this.opts.notice(`logging resumed: ${f.lost} log line(s) were lost since ${new Date(f.since).toISOString()} (${f.reason})`, { lostLines: f.lost, reason: f.reason });
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** N for `<base>.N`, the older files of the log named `base`. */
function olderIndex(base: string, name: string): number | undefined {
  if (!name.startsWith(`${base}.`)) return undefined;
  const rest = name.slice(base.length + 1);
  return /^[1-9]\d{0,5}$/.test(rest) ? Number(rest) : undefined;
}

