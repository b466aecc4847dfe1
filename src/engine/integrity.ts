import type { Keystore } from './keystore.js';
import { openRecord } from './record-crypto.js';
import type { Progress } from './key-engine.js';
import { checkObjects } from './object-integrity.js';
import { isTombstone, tombstoneIntact } from './tombstone.js';

export interface Problem {
  /** The key name, set or library the problem is in. */
  subject: string;
  problem: string;
}

export interface CheckReport {
  keysChecked: number;
  problems: Problem[];
}

/**
 * The Config Test: proves every key record is the one we wrote (its MAC), that sets are
 * whole, that the depletion counters match the records, and that SQLite itself is sound.
 */
export function checkKeystore(store: Keystore, onProgress?: Progress): CheckReport {
  const db = store.db;
  const problems: Problem[] = [];
  const quick = db.pragma('quick_check', { simple: false }) as { quick_check: string }[];
  for (const r of quick) if (r.quick_check !== 'ok') problems.push({ subject: 'database', problem: r.quick_check });

  const libraries = new Map<number, string>();
  for (const l of db.prepare('SELECT id, name FROM libraries').all() as { id: number; name: string }[]) libraries.set(l.id, l.name);
  const total = db.prepare('SELECT COUNT(*) FROM keys').pluck().get() as number;
  const wrapKey = store.keys.wrapKey;
  let checked = 0;
  // raw(): arrays instead of objects; this loop runs once per key (a million on a full box).
  const rows = db.prepare('SELECT seq, name, library_id, origin, state, sealed FROM keys').raw().iterate() as IterableIterator<
    [number, string, number, string, string, Buffer]
  >;
  // Destroyed keys hold a tombstone instead of sealed material; they are few, so their seqs are kept to compare with the objects.
  const tombstones = new Set<number>();
  for (const [seq, name, libraryId, origin, state, sealed] of rows) {
    const library = libraries.get(libraryId);
    if (library === undefined) {
      problems.push({ subject: name, problem: 'belongs to no known library' });
    } else if (isTombstone(sealed)) {
      tombstones.add(seq);
      if (!tombstoneIntact(wrapKey, { name, library, origin, state }, sealed)) {
        problems.push({ subject: String(name), problem: 'destroyed-key record altered or damaged (its MAC does not match)' });
      }
    } else if (!openRecord(wrapKey, { name, library, origin, state }, sealed)) {
      problems.push({ subject: String(name), problem: 'record altered or damaged (its MAC does not match)' });
    }
    if (++checked % 65536 === 0) onProgress?.(checked, total);
  }
  onProgress?.(checked, total);

  const sets = db.prepare(
    'SELECT s.id, s.nonce, s.size, l.name AS library, (SELECT COUNT(*) FROM keys k WHERE k.set_id = s.id) AS n FROM key_sets s JOIN libraries l ON l.id = s.library_id',
  ).all() as { id: number; nonce: string; size: number; library: string; n: number }[];
  for (const s of sets) {
    if (s.n !== s.size) problems.push({ subject: `set ${s.nonce} of ${s.library}`, problem: `holds ${s.n} keys, expected ${s.size}` });
  }
  const counters = db.prepare(
    `SELECT l.name, l.local_total, l.local_used,
       (SELECT COUNT(*) FROM keys k WHERE k.library_id = l.id AND k.origin = 'local') AS total,
       (SELECT COUNT(*) FROM keys k WHERE k.library_id = l.id AND k.origin = 'local' AND k.state != 'unused') AS used
     FROM libraries l`,
  ).all() as { name: string; local_total: number; local_used: number; total: number; used: number }[];
  for (const c of counters) {
    if (c.local_total !== c.total || c.local_used !== c.used) {
      problems.push({ subject: `library ${c.name}`, problem: `counters say ${c.local_used} of ${c.local_total} used, records say ${c.used} of ${c.total}` });
    }
  }
  problems.push(...checkObjects(db, tombstones));
  return { keysChecked: checked, problems };
}
