/**
 * The change journal: what the peer servers of a pair must learn of this keystore, in the
 * order it happened. Each entry is written by the change itself, inside the change's own
 * transaction, so the keystore never holds a change without its entry nor an entry without
 * its change, whatever moment a crash picks.
 *
 * An entry names what changed and carries what is not secret about it (library, tape,
 * dates, attributes); key material is never in the journal. Replication reads the
 * material from the keystore when it sends an entry, over the peers' mutual TLS, so the
 * database file still reveals no key.
 *
 * Sequence numbers come from SQLite's AUTOINCREMENT: they only grow, and one trimmed away
 * is never given again, so a peer's acknowledgement "I hold everything up to N" keeps its
 * meaning for ever. Entries are written only while at least one peer is registered: a
 * standalone server keeps no journal, and a new peer starts from a full copy, not from
 * the journal. The journal is trimmed behind the slowest peer's acknowledgement.
 */
import type Database from 'better-sqlite3';
import { KeystoreError } from '../errors.js';

/**
 * - `set`: a key set was generated (subject: the set's nonce);
 * - `allocation`: a key was handed to a tape (subject: the key's name);
 * - `object`: a KMIP object was made, registered, changed or destroyed (subject: the key's
 *   name; body: the whole object as it now is, so applying it twice changes nothing);
 * - `sync`: after a restore, a library's keys up to its last key were marked used;
 * - `withdraw`: a set the peer did not store in time was taken back, unused (subject: its nonce).
 */
export const JOURNAL_KINDS = ['set', 'allocation', 'object', 'sync', 'withdraw'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

export interface JournalEntry {
  seq: number;
  kind: JournalKind;
  subject: string;
  body: Record<string, unknown>;
  at: number;
}

export interface PeerState {
  /** The peer's name: its serial number, as its pair certificate says. */
  name: string;
  /** Highest entry of ours the peer says it holds; ours are trimmed up to the lowest of these. */
  ackedSeq: number;
  ackedAt: number | null;
  /** Highest entry of the peer's journal that this keystore holds. */
  appliedSeq: number;
  addedAt: number;
}

interface EntryRow { seq: number; kind: JournalKind; subject: string; body: string; at: number }
interface PeerRow { name: string; acked_seq: number; acked_at: number | null; applied_seq: number; added_at: number }

export class ChangeJournal {
  private readonly q: ReturnType<typeof statementsOf>;

  constructor(private readonly db: Database.Database, private readonly now: () => number) {
    this.q = statementsOf(db);
  }

  /**
   * Records a change in the caller's transaction (there must be one: an entry committed
   * apart from its change is exactly what the journal must never hold). Nothing is
   * written while no peer is registered.
   */
  record(kind: JournalKind, subject: string, body: object): void {
    if (!this.db.inTransaction) throw new Error(`journal entry ${kind} ${subject} written outside its change's transaction`);
    this.q.append.run(kind, subject, JSON.stringify(body), this.now());
  }

  /** Entries after `seq`, oldest first, at most `limit`. */
  after(seq: number, limit = 1000): JournalEntry[] {
    return (this.q.after.all(seq, limit) as EntryRow[]).map((r) => ({ ...r, body: JSON.parse(r.body) as Record<string, unknown> }));
  }

  /** The highest sequence number ever given (0 for none), trimmed entries included. */
  lastSeq(): number {
    return (this.q.lastSeq.get() as number | undefined) ?? 0;
  }

  /** Entries held now (not yet trimmed). */
  size(): number {
    return this.q.count.get() as number;
  }

  peers(): PeerState[] {
    return (this.q.peers.all() as PeerRow[]).map((p) => ({
      name: p.name, ackedSeq: p.acked_seq, ackedAt: p.acked_at, appliedSeq: p.applied_seq, addedAt: p.added_at,
    }));
  }

  /** Registers a peer (again: nothing changes); from now on every change is journalled for it. */
  addPeer(name: string): void {
    this.db.transaction(() => {
      // A peer added later must not hold back the trimming for entries written before it knew us.
      this.q.addPeer.run(name, this.lastSeq(), this.now());
    }).immediate();
  }

  removePeer(name: string): void {
    this.db.transaction(() => {
      this.q.removePeer.run(name);
      this.trim();
    }).immediate();
  }

  /**
   * The peer holds every entry up to `seq`: remember it, and drop the entries every peer
   * now holds. An acknowledgement never goes back (a late, older one changes nothing) and
   * cannot name an entry that was never written.
   */
  acknowledge(peer: string, seq: number): { trimmed: number } {
    return this.db.transaction(() => {
      if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.lastSeq()) {
        throw new KeystoreError('JOURNAL_ACK_INVALID', `Peer ${peer} acknowledged change ${seq}, but this server has written changes up to ${this.lastSeq()} only.`);
      }
      if (this.q.ack.run(seq, this.now(), peer).changes === 0) {
        throw new KeystoreError('PEER_UNKNOWN', `Server ${peer} is not a peer of this server.`);
      }
      // Sets every peer now holds become usable, before their entries are trimmed away.
      this.q.replicated.run(this.now());
      return { trimmed: this.trim() };
    }).immediate();
  }

  /** Records, in the caller's transaction, that this keystore now holds the peer's entries up to `seq`. */
  markApplied(peer: string, seq: number): void {
    if (!this.db.inTransaction) throw new Error(`peer ${peer}'s entry ${seq} marked applied outside the transaction that applied it`);
    this.q.applied.run(seq, peer);
  }

  private trim(): number {
    return this.q.trim.run().changes;
  }
}

function statementsOf(db: Database.Database) {
  return {
    // The journal is written only while a peer exists to read it.
    append: db.prepare('INSERT INTO journal (kind, subject, body, at) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM peers)'),
    after: db.prepare('SELECT seq, kind, subject, body, at FROM journal WHERE seq > ? ORDER BY seq LIMIT ?'),
    lastSeq: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'journal'").pluck(),
    count: db.prepare('SELECT COUNT(*) FROM journal').pluck(),
    peers: db.prepare('SELECT * FROM peers ORDER BY name'),
    addPeer: db.prepare('INSERT INTO peers (name, acked_seq, added_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING'),
    removePeer: db.prepare('DELETE FROM peers WHERE name = ?'),
    ack: db.prepare('UPDATE peers SET acked_seq = max(acked_seq, ?), acked_at = ? WHERE name = ?'),
    applied: db.prepare('UPDATE peers SET applied_seq = max(applied_seq, ?) WHERE name = ?'),
    replicated: db.prepare(`UPDATE key_sets SET replicated_at = ? WHERE replicated_at IS NULL AND nonce IN (
      SELECT subject FROM journal WHERE kind = 'set' AND seq <= (SELECT coalesce(min(acked_seq), 9223372036854775807) FROM peers))`),
    // With no peer left, nothing is waiting for any entry.
    trim: db.prepare('DELETE FROM journal WHERE seq <= (SELECT coalesce(min(acked_seq), 9223372036854775807) FROM peers)'),
  };
}
