import type Database from 'better-sqlite3';
import type { Problem } from './integrity.js';
import { openRecord } from './record-crypto.js';
import { isTombstone, tombstoneIntact } from './tombstone.js';

export interface ScanResult {
  checked: number;
  problems: Problem[];
  /** Seqs of destroyed keys' records, for the object checks. */
  tombstones: number[];
}

/**
 * Proves every key record with seq in [fromSeq, toSeq] is the one we wrote: its GCM tag
 * (the record's MAC) must verify, or, for a destroyed key, its tombstone's. Runs in the
 * caller's thread or in a worker with its own read-only connection (record-scan-worker).
 */
export function scanRecords(
  db: Database.Database,
  wrapKey: Buffer,
  range: { fromSeq: number; toSeq: number },
  onProgress?: (checked: number) => void,
): ScanResult {
  const libraries = new Map<number, string>();
  for (const l of db.prepare('SELECT id, name FROM libraries').all() as { id: number; name: string }[]) libraries.set(l.id, l.name);
  const problems: Problem[] = [];
  const tombstones: number[] = [];
  let checked = 0;
  // raw(): arrays instead of objects; this loop runs once per key (a million on a full box).
  const rows = db.prepare('SELECT seq, name, library_id, origin, state, sealed FROM keys WHERE seq BETWEEN ? AND ?')
    .raw().iterate(range.fromSeq, range.toSeq) as IterableIterator<[number, string, number, string, string, Buffer]>;
  for (const [seq, name, libraryId, origin, state, sealed] of rows) {
    const library = libraries.get(libraryId);
    if (library === undefined) {
      problems.push({ subject: name, problem: 'belongs to no known library' });
    } else if (isTombstone(sealed)) {
      tombstones.push(seq);
      if (!tombstoneIntact(wrapKey, { name, library, origin, state }, sealed)) {
        problems.push({ subject: String(name), problem: 'destroyed-key record altered or damaged (its MAC does not match)' });
      }
    } else if (!openRecord(wrapKey, { name, library, origin, state }, sealed)) {
      problems.push({ subject: String(name), problem: 'record altered or damaged (its MAC does not match)' });
    }
    if (++checked % 16384 === 0) onProgress?.(checked);
  }
  return { checked, problems, tombstones };
}
