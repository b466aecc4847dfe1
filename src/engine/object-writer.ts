/** Writing a new managed object's rows: the object and its stored attributes, in one caller's transaction. */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { encodeValue } from './attribute-codec.js';
import { searchKey } from './attributes.js';
import { SYMMETRIC_KEY, type AttributeValue, type NewAttribute } from './object-model.js';

export interface KeyRef { seq: number; library_id: number }

export interface NewObject {
  /** KMIP Object Type: a Symmetric Key unless said (Secret Data). */
  objectType?: number;
  state: number;
  initialDate: number;
  activationDate: number | null;
  /** Already checked (or the server's own); each name's instances are indexed 0, 1, ... in order. */
  attributes: readonly NewAttribute[];
}

export class ObjectWriter {
  private readonly addObject: Statement;
  private readonly addAttribute: Statement;

  constructor(db: Database.Database) {
    this.addObject = db.prepare(
      'INSERT INTO objects (key_seq, library_id, object_type, state, initial_date, activation_date, last_change_date) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.addAttribute = db.prepare('INSERT INTO attributes (key_seq, library_id, name, idx, type, value, search) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  insert(key: KeyRef, o: NewObject): void {
    this.addObject.run(key.seq, key.library_id, o.objectType ?? SYMMETRIC_KEY, o.state, o.initialDate, o.activationDate, o.initialDate);
    const next = new Map<string, number>();
    for (const a of o.attributes) {
      const idx = next.get(a.name) ?? 0;
      next.set(a.name, idx + 1);
      this.attribute(key, a.name, idx, a.value);
    }
  }

  attribute(key: KeyRef, name: string, idx: number, value: AttributeValue): void {
    this.addAttribute.run(key.seq, key.library_id, name, idx, value.type, encodeValue(value), searchKey(name, value));
  }
}
