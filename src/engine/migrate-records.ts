import type Database from 'better-sqlite3';
import { LEGACY_SEALED_BYTES, LEGACY_TOMBSTONE_BYTES, legacyTombstoneIntact, openLegacyRecord } from './legacy-records.js';
import type { MasterKeys } from './master-key.js';
import { IV_BYTES, RecordSealer } from './record-crypto.js';
import type { World } from './world.js';

const CHUNK = 4096;

/**
 * Schema 3: every key record re-sealed from AES-GCM (legacy-records.ts) to the
 * encrypt-then-MAC format of record-crypto.ts, in the migration's one transaction. A
 * record that does not open is left exactly as it was: the check then names it as
 * damaged, and the rest of the keystore stays usable.
 */
export function resealRecords(db: Database.Database, keys: MasterKeys, world: World): void {
  const sealer = new RecordSealer(keys.records);
  const next = db.prepare(
    'SELECT k.seq, k.name, l.name, k.origin, k.state, k.sealed FROM keys k JOIN libraries l ON l.id = k.library_id WHERE k.seq > ? ORDER BY k.seq LIMIT ?',
  ).raw();
  const put = db.prepare('UPDATE keys SET sealed = ? WHERE seq = ?');
  for (let last = -1; ;) {
    const rows = next.all(last, CHUNK) as [number, string, string, string, string, Buffer][];
    if (rows.length === 0) return;
    for (const [seq, name, library, origin, state, sealed] of rows) {
      const f = { name, library, origin, state };
      if (sealed.length === LEGACY_SEALED_BYTES) {
        const material = openLegacyRecord(keys.legacyWrapKey, f, sealed);
        if (material) put.run(sealer.seal(f, material, world.randomBytes(IV_BYTES)), seq);
        material?.fill(0);
      } else if (sealed.length === LEGACY_TOMBSTONE_BYTES && legacyTombstoneIntact(keys.legacyWrapKey, f, sealed)) {
        put.run(sealer.tombstone(f), seq);
      }
    }
    last = rows[rows.length - 1]![0];
  }
}
