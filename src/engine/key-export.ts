/**
 * The keys an administrator shares with another site, by name or by the tape they were
 * handed to, with their material and what is known of their tape. Only a key that went to
 * a tape (or was imported for a library) is shared: an unused key of a set would be handed
 * to a tape later, here, and the partner could read that tape too.
 */
import { KeyEngineError } from '../errors.js';
import { quoteClientValue } from '../util/bounded-text.js';
import { type KeyEngine, recordDamaged } from './key-engine.js';
import { ObjectRows } from './object-rows.js';
import { isTombstone } from './record-crypto.js';
import { UNKNOWN_TAPE, barcodeOf, keyIdentifierOf } from './tape.js';

export interface ExportableKey {
  name: string;
  library: string;
  barcode: string | null;
  keyIdentifier: string | null;
  generatedAt: string | null;
  writtenAt: string | null;
  material: Buffer;
}

export type ExportSelection = { names: readonly string[] } | { tapes: readonly string[] };

interface Row {
  seq: number;
  name: string;
  library: string;
  origin: string;
  state: string;
  sealed: Buffer;
  tape: string | null;
  allocated_at: number | null;
  generated_at: number | null;
  object_seq: number | null;
}

const SELECT = `SELECT k.seq, k.name, l.name AS library, k.origin, k.state, k.sealed, k.tape, k.allocated_at,
    coalesce(s.created_at, o.initial_date) AS generated_at, o.key_seq AS object_seq
  FROM keys k JOIN libraries l ON l.id = k.library_id LEFT JOIN key_sets s ON s.id = k.set_id LEFT JOIN objects o ON o.key_seq = k.seq`;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Every selected key, each once, in the order asked; any key that cannot be shared refuses the whole selection. */
export function keysForExport(engine: KeyEngine, sel: ExportSelection): ExportableKey[] {
  const db = engine.store.db;
  const rows = new ObjectRows(db);
  const found: Row[] = [];
  if ('names' in sel) {
    const byName = db.prepare(`${SELECT} WHERE k.name = ?`);
    for (const name of sel.names) {
      const row = byName.get(name) as Row | undefined;
      if (!row) throw new KeyEngineError('EXCHANGE_KEY_UNKNOWN', `No key named ${quoteClientValue(name)} is in this keystore; check the name.`, { params: { key: name } });
      found.push(row);
    }
  } else {
    const byTape = db.prepare(`${SELECT} WHERE k.tape = ? ORDER BY k.seq`);
    for (const tape of sel.tapes) {
      const keys = byTape.all(tape) as Row[];
      if (keys.length === 0) throw new KeyEngineError('EXCHANGE_TAPE_UNKNOWN', `No key of this keystore was handed to a tape ${quoteClientValue(tape)}; check the barcode.`, { params: { tape } });
      found.push(...keys);
    }
  }
  const unique = [...new Map(found.map((r) => [r.seq, r])).values()];
  return unique.map((r) => {
    if (isTombstone(r.sealed)) throw new KeyEngineError('EXCHANGE_KEY_DESTROYED', `The key ${r.name} was destroyed; it no longer exists to be shared.`, { params: { key: r.name } });
    if (r.state === 'unused' && r.origin !== 'registered') {
      throw new KeyEngineError('EXCHANGE_KEY_UNUSED', `The key ${r.name} was never handed to a tape; only the key of a written tape can be shared.`, { params: { key: r.name } });
    }
    const material = engine.store.sealer.open({ name: r.name, library: r.library, origin: r.origin, state: r.state }, r.sealed);
    if (!material) throw recordDamaged(r.name);
    const attributes = r.object_seq === null ? [] : rows.storedAttributes(r.object_seq);
    return {
      name: r.name,
      library: r.library,
      // An imported key keeps its tape as an attribute: it was never handed to a tape here.
      barcode: r.tape === null || r.tape === UNKNOWN_TAPE ? barcodeOf(attributes) ?? null : r.tape,
      keyIdentifier: keyIdentifierOf(attributes) ?? null,
      generatedAt: iso(r.generated_at),
      writtenAt: iso(r.allocated_at),
      material,
    };
  });
}
