import type Database from 'better-sqlite3';
import type { MasterKeys } from './master-key.js';
import { ObjectWriter } from './object-writer.js';
import { RecordSealer } from './record-crypto.js';
import { type RecoveredKey, recoverObjects } from './recovered-objects.js';
import type { World } from './world.js';

/**
 * Schema 4: keys handed out but not the library's KMIP objects become its recovered
 * objects. Up to schema 3, sync marked the keys a library was given after the last backup
 * 'skipped' and made no objects of them, so the tapes written with them could not be read.
 * It is sound to repair them here: sync marked only keys up to the last one the library
 * said it used, and allocation takes a library's keys strictly in order, so each was given
 * to that library and to no other; they become its objects (never stock again), exactly as
 * sync now makes them, and 'allocated' like every other key a library holds. A key
 * allocated with no object at all (none can exist, but the step costs nothing) is repaired
 * the same way. A record whose MAC fails is left exactly as it was, for the check to name.
 */
export function recoverSyncedKeys(db: Database.Database, keys: MasterKeys, world: World): void {
  const sealer = new RecordSealer(keys.records);
  const rows = db.prepare(
    `SELECT k.seq, k.name, k.library_id, l.name AS library, k.state, k.sealed
     FROM keys k JOIN libraries l ON l.id = k.library_id LEFT JOIN objects o ON o.key_seq = k.seq
     WHERE k.origin = 'local' AND k.state IN ('skipped', 'allocated') AND o.key_seq IS NULL ORDER BY k.seq`,
  ).all() as (RecoveredKey & { library: string; state: string; sealed: Buffer })[];
  const allocate = db.prepare("UPDATE keys SET state = 'allocated', sealed = ? WHERE seq = ?");
  const recovered: RecoveredKey[] = [];
  for (const r of rows) {
    const fields = { name: r.name, library: r.library, origin: 'local', state: r.state };
    if (!sealer.intact(fields, r.sealed)) continue;
    if (r.state === 'skipped') allocate.run(sealer.retag({ ...fields, state: 'allocated' }, r.sealed), r.seq);
    recovered.push({ seq: r.seq, library_id: r.library_id, name: r.name });
  }
  recoverObjects(new ObjectWriter(db), recovered, world.now());
}
