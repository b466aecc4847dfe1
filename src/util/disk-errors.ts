import { statfsSync } from 'node:fs';
import path from 'node:path';

/** What a failure says about the disk under it, as values a front end words. */
export interface DiskTrouble {
  trouble: 'full' | 'quota' | 'read-only' | 'io';
  /** The path the failure names, else the one the caller was working on. */
  at: string;
  /** What to do once the disk is fixed, when not simply "try again". */
  retry?: string;
}

/**
 * A full disk, a used-up quota, a read-only file system or an I/O error under a failure;
 * undefined when it is none of these. SQLite reports some of them only as "disk I/O
 * error", so that code is told apart from a full disk by asking the file system how much
 * space is left.
 */
export function diskTroubleOf(e: unknown, fallbackPath: string | undefined): DiskTrouble | undefined {
  const { codes, path: found } = codesOf(e);
  const where = found ?? fallbackPath;
  const at = where ?? 'this data';
  const has = (...names: string[]) => names.some((n) => codes.has(n));
  if (has('ENOSPC', 'SQLITE_FULL') || (ioError(codes) && nearlyFull(where))) return { trouble: 'full', at };
  if (has('EDQUOT')) return { trouble: 'quota', at };
  if (has('EROFS')) return { trouble: 'read-only', at };
  if (ioError(codes)) return { trouble: 'io', at };
  return undefined;
}

/** One sentence for the user; `checkDisks` says how this reader checks the disks, if it has a way. */
export function diskTroubleWords(t: DiskTrouble, checkDisks?: string): string {
  const retry = t.retry ?? 'try again';
  switch (t.trouble) {
    case 'full':
      return `The disk holding ${t.at} is full; free some space there and ${retry}.`;
    case 'quota':
      return `The disk quota for ${t.at} is used up; free some space there or raise the quota, and ${retry}.`;
    case 'read-only':
      return `${t.at} is on a read-only file system; remount it read-write (or use another place) and ${retry}.`;
    case 'io':
      return `The disk holding ${t.at} reported an input/output error; check the disks${checkDisks ? ` (${checkDisks})` : ''} and the system log before you ${retry}.`;
  }
}

/** True when a failure (or one it was caused by) is a full disk or a used-up quota. */
export function isDiskFull(e: unknown): boolean {
  const { codes } = codesOf(e);
  return codes.has('ENOSPC') || codes.has('EDQUOT') || codes.has('SQLITE_FULL');
}

/** The error codes along a failure's cause chain, and the first path one of them names. */
function codesOf(e: unknown): { codes: Set<string>; path: string | undefined } {
  const codes = new Set<string>();
  let where: string | undefined;
  for (let c: unknown = e, depth = 0; c && typeof c === 'object' && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    const { code, path } = c as { code?: unknown; path?: unknown };
    if (typeof code === 'string') codes.add(code);
    if (where === undefined && typeof path === 'string') where = path;
  }
  return { codes, path: where };
}

function ioError(codes: Set<string>): boolean {
  return codes.has('EIO') || [...codes].some((c) => c.startsWith('SQLITE_IOERR'));
}

/** Under 1 MiB free for this user: SQLite's shared-memory file and journal need more. */
function nearlyFull(where: string | undefined): boolean {
  if (!where) return false;
  for (let p = path.resolve(where); ; p = path.dirname(p)) {
    try {
      const s = statfsSync(p);
      return s.bavail * s.bsize < 1024 * 1024;
    } catch {
      if (p === path.dirname(p)) return false; // a path not made yet: ask its parent
    }
  }
}
