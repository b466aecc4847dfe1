/**
 * What the simulated library remembers between runs, in one SQLite file in its state
 * folder: the tapes it wrote (barcode, the key's name, and a block written under the key,
 * so a read proves the key is the same one), its own RAS tickets, and which partitions
 * have library-managed encryption. A key name is unique across tapes: a server handing
 * one key to two tapes is caught here, not hidden.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit, type World } from '../engine/index.js';
import { describeFileError } from '../util/file-errors.js';
import { LibraryError } from './errors.js';

export interface TapeRecord {
  barcode: string;
  keyName: string;
  keyIdentifier: string;
  /** Which server gave the key ("primary" or "secondary"). */
  server: string;
  drive: string;
  writtenAt: number;
  iv: Buffer;
  data: Buffer;
  tag: Buffer;
}

export interface LibraryTicket {
  id: number;
  condition: string;
  text: string;
  openedAt: number;
  closedAt: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tapes (
  barcode TEXT PRIMARY KEY, key_name TEXT NOT NULL UNIQUE, key_identifier TEXT NOT NULL,
  server TEXT NOT NULL, drive TEXT NOT NULL, written_at INTEGER NOT NULL,
  iv BLOB NOT NULL, data BLOB NOT NULL, tag BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
  id INTEGER PRIMARY KEY, condition TEXT NOT NULL, text TEXT NOT NULL,
  opened_at INTEGER NOT NULL, closed_at INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_ticket ON tickets(condition) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS partitions (name TEXT PRIMARY KEY, encrypted INTEGER NOT NULL, changed_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

interface TapeRow {
  barcode: string; key_name: string; key_identifier: string; server: string; drive: string;
  written_at: number; iv: Buffer; data: Buffer; tag: Buffer;
}

export class LibraryState {
  /** Tapes written by several drives at once share one durable commit, as the server's keys do. */
  private readonly group: GroupCommit;

  private constructor(private readonly db: Database.Database, private readonly world: World) {
    this.group = new GroupCommit(db);
  }

  static open(stateDir: string, world: World): LibraryState {
    let db: Database.Database;
    try {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      db = new Database(path.join(stateDir, 'library.db'));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 10000');
      db.exec(SCHEMA);
    } catch (e) {
      throw new LibraryError('LIBRARY_STATE', `Cannot open the library's state in ${stateDir} (${describeFileError(e)}); give state_dir a folder the library can write.`, { cause: e, params: { folder: stateDir, reason: describeFileError(e) } });
    }
    return new LibraryState(db, world);
  }

  close(): void {
    this.db.close();
  }

  /** Records a written tape, durably; a tape written again gets its new key. */
  async recordTape(t: TapeRecord): Promise<void> {
    try {
      await this.group.run(() => this.db.prepare(`INSERT INTO tapes (barcode, key_name, key_identifier, server, drive, written_at, iv, data, tag)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(barcode) DO UPDATE SET key_name = excluded.key_name, key_identifier = excluded.key_identifier,
          server = excluded.server, drive = excluded.drive, written_at = excluded.written_at,
          iv = excluded.iv, data = excluded.data, tag = excluded.tag`)
        .run(t.barcode, t.keyName, t.keyIdentifier, t.server, t.drive, t.writtenAt, t.iv, t.data, t.tag));
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const other = this.db.prepare('SELECT barcode FROM tapes WHERE key_name = ?').pluck().get(t.keyName) as string | undefined;
        throw new LibraryError('TAPE_UNREADABLE', `The key server gave key ${t.keyName} for tape ${t.barcode}, but tape ${other ?? '?'} already uses it; a key must never protect two tapes, so ${t.barcode} was not written.`, { cause: e, params: { tape: t.barcode, key: t.keyName } });
      }
      throw e;
    }
  }

  tape(barcode: string): TapeRecord | undefined {
    const row = this.db.prepare('SELECT * FROM tapes WHERE barcode = ?').get(barcode) as TapeRow | undefined;
    return row && toTape(row);
  }

  tapes(): TapeRecord[] {
    return (this.db.prepare('SELECT * FROM tapes ORDER BY written_at, barcode').all() as TapeRow[]).map(toTape);
  }

  /** The next `count` numbers of a named counter (barcodes of the workload), durably taken. */
  take(counter: string, count: number): number {
    return this.db.transaction(() => {
      const at = (this.db.prepare('SELECT value FROM counters WHERE name = ?').pluck().get(counter) as number | undefined) ?? 0;
      this.db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run(counter, at + count);
      return at;
    }).immediate();
  }

  setEncryption(partition: string, encrypted: boolean): void {
    this.db.prepare('INSERT INTO partitions (name, encrypted, changed_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET encrypted = excluded.encrypted, changed_at = excluded.changed_at')
      .run(partition, encrypted ? 1 : 0, this.world.now());
  }

  encrypted(partition: string): boolean {
    return this.db.prepare('SELECT encrypted FROM partitions WHERE name = ?').pluck().get(partition) === 1;
  }

  /** Opens a ticket unless one is open for the condition; true when it was opened now. */
  openTicket(condition: string, text: string): boolean {
    const r = this.db.prepare('INSERT INTO tickets (condition, text, opened_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(condition, text, this.world.now());
    return r.changes > 0;
  }

  closeTicket(condition: string): void {
    this.db.prepare('UPDATE tickets SET closed_at = ? WHERE condition = ? AND closed_at IS NULL').run(this.world.now(), condition);
  }

  isOpen(condition: string): boolean {
    return this.db.prepare('SELECT 1 FROM tickets WHERE condition = ? AND closed_at IS NULL').get(condition) !== undefined;
  }

  tickets(all = false): LibraryTicket[] {
    const rows = this.db.prepare(`SELECT id, condition, text, opened_at AS openedAt, closed_at AS closedAt FROM tickets ${all ? '' : 'WHERE closed_at IS NULL'} ORDER BY id`).all();
    return rows as LibraryTicket[];
  }
}

function toTape(r: TapeRow): TapeRecord {
  return {
    barcode: r.barcode, keyName: r.key_name, keyIdentifier: r.key_identifier, server: r.server, drive: r.drive,
    writtenAt: r.written_at, iv: r.iv, data: r.data, tag: r.tag,
  };
}
