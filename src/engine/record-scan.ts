import type Database from 'better-sqlite3';
import type { Problem } from './check-report.js';
import { type RecordKeys, RecordSealer, isTombstone } from './record-crypto.js';

export interface ScanResult {
  checked: number;
  problems: Problem[];
  /** Seqs of destroyed keys' records, for the object checks. */
  tombstones: number[];
  /** Records per set id. */
  perSet: Map<number, number>;
  /** Local records per library id, and how many of them are used: what its counters must say. */
  perLibrary: Map<number, { total: number; used: number }>;
}

/** Rows per query: SQLite hands a chunk over as one JSON text, far cheaper than a row at a time. */
const CHUNK = 4096;
type Row = [seq: number, name: string, libraryId: number, setId: number | null, origin: string, state: string, sealedBytes: number];

/**
 * Proves every key record with seq in [fromSeq, toSeq] is the one we wrote: its MAC must
 * verify, or, for a destroyed key, its tombstone's. Counts records per set and per
 * library on the way, so the check needs no second pass. Runs in the caller's thread or in
 * a worker with its own read-only connection (record-scan-worker).
 */
export function scanRecords(
  db: Database.Database,
  keys: RecordKeys,
  range: { fromSeq: number; toSeq: number },
  onProgress?: (checked: number) => void,
): ScanResult {
  const sealer = new RecordSealer(keys);
  const libraries = new Map(db.prepare('SELECT id, name FROM libraries').raw().all() as [number, string][]);
  // The fields as JSON, the sealed blobs end to end in one blob. CAST: a damaged row may
  // hold a value of another type; it must still reach the MAC (and fail there).
  const chunk = db.prepare(
    `SELECT json_group_array(json_array(seq, CAST(name AS TEXT), library_id, set_id, CAST(origin AS TEXT), CAST(state AS TEXT), length(CAST(sealed AS BLOB)))),
       unhex(group_concat(hex(sealed), ''))
     FROM (SELECT * FROM keys WHERE seq BETWEEN ? AND ? ORDER BY seq)`,
  ).raw();
  const result: ScanResult = { checked: 0, problems: [], tombstones: [], perSet: new Map(), perLibrary: new Map() };
  for (let from = range.fromSeq; from <= range.toSeq; from += CHUNK) {
    const [rows, blobs] = chunk.get(from, Math.min(range.toSeq, from + CHUNK - 1)) as [string, Buffer | null];
    let off = 0;
    for (const row of JSON.parse(rows) as Row[]) {
      verifyRecord(sealer, libraries, row, blobs!.subarray(off, (off += row[6])), result);
    }
    onProgress?.(result.checked);
  }
  return result;
}

function verifyRecord(sealer: RecordSealer, libraries: Map<number, string>, row: Row, sealed: Buffer, r: ScanResult): void {
  const [seq, name, libraryId, setId, origin, state] = row;
  r.checked++;
  if (setId !== null) r.perSet.set(setId, (r.perSet.get(setId) ?? 0) + 1);
  if (origin === 'local') {
    const l = r.perLibrary.get(libraryId) ?? { total: 0, used: 0 };
    l.total++;
    if (state !== 'unused') l.used++;
    r.perLibrary.set(libraryId, l);
  }
  const library = libraries.get(libraryId);
  if (library === undefined) {
    r.problems.push({ subject: name, problem: 'belongs to no known library' });
    return;
  }
  const fields = { name, library, origin, state };
  if (isTombstone(sealed)) {
    r.tombstones.push(seq);
    if (!sealer.tombstoneIntact(fields, sealed)) r.problems.push({ subject: name, problem: 'destroyed-key record altered or damaged (its MAC does not match)' });
  } else if (!sealer.intact(fields, sealed)) {
    r.problems.push({ subject: name, problem: 'record altered or damaged (its MAC does not match)' });
  }
}
