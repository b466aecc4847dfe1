/** Reading objects and their stored attributes out of the keystore tables. */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { decodeValue } from './attribute-codec.js';
import type { ManagedObject, ObjectAttribute } from './object-model.js';

export interface ObjectRow {
  seq: number;
  uid: string;
  library: string;
  library_id: number;
  origin: ManagedObject['origin'];
  alloc: string;
  sealed: Buffer;
  tape: string | null;
  drive: string | null;
  object_type: number;
  state: number;
  initial_date: number;
  activation_date: number | null;
  deactivation_date: number | null;
  destroy_date: number | null;
  compromise_occurrence_date: number | null;
  compromise_date: number | null;
  revocation_reason: number | null;
  revocation_message: string | null;
  last_change_date: number;
}

const SELECT_OBJECT = `
  SELECT k.seq, k.name AS uid, l.name AS library, o.library_id, k.origin, k.state AS alloc, k.sealed, k.tape, k.drive,
         o.object_type, o.state, o.initial_date, o.activation_date, o.deactivation_date, o.destroy_date,
         o.compromise_occurrence_date, o.compromise_date, o.revocation_reason, o.revocation_message, o.last_change_date
  FROM objects o JOIN keys k ON k.seq = o.key_seq JOIN libraries l ON l.id = o.library_id`;

/**
 * What Get needs to open a key record, and no more: the columns of the record's seal
 * besides the name and library the caller already gave, and the object's state. A Get is
 * the request a tape library makes most; reading the full object row (twenty columns
 * into a JS object) cost as much as the lookup itself.
 */
export interface KeyRecordRow {
  origin: ManagedObject['origin'];
  alloc: string;
  sealed: Buffer;
  state: number;
}

export function toManagedObject(r: ObjectRow): ManagedObject {
  return {
    uid: r.uid, library: r.library, objectType: r.object_type, state: r.state, origin: r.origin,
    tape: r.tape, drive: r.drive,
    initialDate: r.initial_date, activationDate: r.activation_date, deactivationDate: r.deactivation_date,
    destroyDate: r.destroy_date, compromiseOccurrenceDate: r.compromise_occurrence_date, compromiseDate: r.compromise_date,
    revocationReason: r.revocation_reason, revocationMessage: r.revocation_message, lastChangeDate: r.last_change_date,
  };
}

export interface StoredRow { idx: number; name: string; type: string; value: string }

/** An object as the change journal carries it: the whole object, with its stored attributes as kept. */
export type ObjectSnapshot = ManagedObject & { alloc: string; attributes: StoredRow[] };

export class ObjectRows {
  private readonly byName: Statement;
  private readonly bySeq: Statement;
  private readonly recordByName: Statement;
  private readonly stored: Statement;
  private readonly storedNamed: Statement;
  private readonly libraryId: Statement;

  constructor(db: Database.Database) {
    // The library is part of every lookup: another library's object is simply not found.
    this.byName = db.prepare(`${SELECT_OBJECT} WHERE k.name = ? AND l.name = ?`);
    this.bySeq = db.prepare(`${SELECT_OBJECT} WHERE o.key_seq = ?`);
    this.recordByName = db.prepare(`
      SELECT k.origin, k.state AS alloc, k.sealed, o.state
      FROM objects o JOIN keys k ON k.seq = o.key_seq JOIN libraries l ON l.id = o.library_id
      WHERE k.name = ? AND l.name = ?`).raw();
    this.stored = db.prepare('SELECT idx, name, type, value FROM attributes WHERE key_seq = ? ORDER BY name, idx');
    this.storedNamed = db.prepare('SELECT idx, name, type, value FROM attributes WHERE key_seq = ? AND name = ? ORDER BY idx');
    this.libraryId = db.prepare('SELECT id FROM libraries WHERE name = ?').pluck();
  }

  find(library: string, uid: string): ObjectRow | undefined {
    return this.byName.get(uid, library) as ObjectRow | undefined;
  }

  /** The object's key record, found as `find` finds the object (so it is the library's own). */
  findKeyRecord(library: string, uid: string): KeyRecordRow | undefined {
    // Raw: an array per row, where a named row object costs V8 a property definition per column.
    const row = this.recordByName.get(uid, library) as [KeyRecordRow['origin'], string, Buffer, number] | undefined;
    return row && { origin: row[0], alloc: row[1], sealed: row[2], state: row[3] };
  }

  atSeq(seq: number): ObjectRow | undefined {
    return this.bySeq.get(seq) as ObjectRow | undefined;
  }

  libraryIdOf(library: string): number | undefined {
    return this.libraryId.get(library) as number | undefined;
  }

  storedRows(seq: number, name?: string): StoredRow[] {
    return (name === undefined ? this.stored.all(seq) : this.storedNamed.all(seq, name)) as StoredRow[];
  }

  snapshot(seq: number): ObjectSnapshot {
    const row = this.atSeq(seq)!;
    return { ...toManagedObject(row), alloc: row.alloc, attributes: this.storedRows(seq) };
  }

  storedAttributes(seq: number, name?: string): ObjectAttribute[] {
    return this.storedRows(seq, name).map((r) => ({ name: r.name, index: r.idx, value: decodeValue(r.type, r.value) }));
  }
}
