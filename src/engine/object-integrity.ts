import type Database from 'better-sqlite3';
import { isDestroyedState } from './object-model.js';
import type { Problem } from './check-report.js';

/**
 * The check's view of KMIP objects: each belongs to the library its key belongs to, is a
 * key that was handed out or imported (never stock), is destroyed exactly when its record
 * is a tombstone, and its attributes carry its library (Locate isolates by that column).
 * `tombstones` are the seqs of records the key scan found to be tombstones.
 */
export function checkObjects(db: Database.Database, tombstones: ReadonlySet<number>): Problem[] {
  const problems: Problem[] = [];
  const rows = db.prepare(
    'SELECT o.key_seq, k.name, o.library_id, k.library_id, k.origin, k.state, o.state FROM objects o JOIN keys k ON k.seq = o.key_seq',
  ).raw().iterate() as IterableIterator<[number, string, number, number, string, string, number]>;
  const destroyed = new Set<number>();
  for (const [seq, name, objectLibrary, keyLibrary, origin, allocation, state] of rows) {
    if (objectLibrary !== keyLibrary) problems.push({ subject: name, problem: 'its KMIP object names another library than its key record' });
    if (origin === 'local' && allocation !== 'allocated') problems.push({ subject: name, problem: `is a KMIP object but its key is ${allocation}, not allocated` });
    if (isDestroyedState(state)) {
      destroyed.add(seq);
      if (!tombstones.has(seq)) problems.push({ subject: name, problem: 'is destroyed, yet its record still holds key material' });
    }
  }
  const names = db.prepare('SELECT name FROM keys WHERE seq = ?').pluck();
  for (const seq of tombstones) {
    if (!destroyed.has(seq)) problems.push({ subject: names.get(seq) as string, problem: 'its key material is gone, but its KMIP object is not destroyed' });
  }
  const strays = db.prepare(
    `SELECT DISTINCT k.name FROM attributes a LEFT JOIN objects o ON o.key_seq = a.key_seq LEFT JOIN keys k ON k.seq = a.key_seq
     WHERE o.key_seq IS NULL OR o.library_id != a.library_id`,
  ).pluck().all() as (string | null)[];
  for (const name of strays) problems.push({ subject: name ?? 'attributes', problem: 'has attributes filed under another library, or attributes of no object' });
  return problems;
}
