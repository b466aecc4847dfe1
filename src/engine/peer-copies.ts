/**
 * Each server of a pair keeps a copy of its peer's keys: what replication sends (this
 * server's journal entries, with the material the peer must seal under its own master
 * key) and what it applies (the peer's entries, into records of origin 'peer'). Those
 * records are never handed out (allocation takes origin 'local' only), but a library may
 * read them, so a tape written through one server reads through the other.
 *
 * Applying is idempotent twice over: entries up to the peer's `applied_seq` are skipped,
 * in the same transaction that applies the rest and moves the mark; and each entry
 * describes a state (a set, an allocation, the whole object) rather than a delta, so even
 * applying one again would change nothing.
 */
import { timingSafeEqual } from 'node:crypto';
import { KeystoreError } from '../errors.js';
import { searchKey } from './attributes.js';
import { decodeValue } from './attribute-codec.js';
import type { JournalEntry } from './journal.js';
import { type KeyEngine, recordDamaged } from './key-engine.js';
import { KEY_NAME_PATTERN, keyName } from './names.js';
import { ObjectState, SYMMETRIC_KEY, isDestroyedState } from './object-model.js';
import { ObjectRows, type ObjectSnapshot } from './object-rows.js';
import { IV_BYTES, MATERIAL_BYTES, SEALED_BYTES, isTombstone } from './record-crypto.js';

/** A journal entry as it travels to the peer: with key material (base64) where the peer needs it. */
export interface ReplicatedEntry extends JournalEntry {
  /** 'set': every key's material in order (32 bytes each); 'object' of an imported key: its material. */
  material?: string;
  /** 'set': indexes of keys destroyed before the set was sent (their material is gone). */
  destroyed?: number[];
  /** 'set': taken back before it was sent (a 'withdraw' entry follows); nothing to store. */
  withdrawn?: boolean;
}

const KEY_ROW = "(?, ?, ?, ?, ?, 'unused')";
const ROWS_PER_INSERT = 64;

interface SetBody { library: string; class: string; size: number; createdAt: number; firstKey: string; lastKey: string }
interface AllocationBody { library: string; tape: string | null; drive: string | null; allocatedAt: number | null }
/** A key of the restored server as its peer holds it: handed out, with its object. */
export interface HeldKey { name: string; tape: string | null; drive: string | null; allocatedAt: number | null; object: ObjectSnapshot | null }

interface KeyRow { seq: number; name: string; library: string; library_id: number; origin: 'local' | 'peer' | 'registered'; state: string; sealed: Buffer }

export class PeerCopies {
  private readonly rows: ObjectRows;

  constructor(private readonly engine: KeyEngine) {
    this.rows = new ObjectRows(engine.store.db);
  }

  private get db() {
    return this.engine.store.db;
  }

  /**
   * Makes `peer` this server's peer: from now on every change is journalled for it, and
   * everything that already exists (sets, allocations, objects) is journalled once now, in
   * the same transaction, so the peer starts from a whole copy.
   */
  pairWith(peer: string): void {
    this.db.transaction(() => {
      if (this.engine.journal.peers().some((p) => p.name === peer)) return;
      this.journalWholeCopy(peer);
    }).immediate();
  }

  /**
   * For a peer restored from a backup: its copy of this server's keys went back in time,
   * and the entries it had acknowledged since are trimmed here. Its journal starts again
   * with a whole copy, numbered after everything written so far, so the restored peer
   * (which skips only what it holds) takes all of it; sets it holds are skipped by name,
   * and allocations and objects describe a state, so nothing is applied twice.
   */
  resendWholeCopy(peer: string): void {
    this.db.transaction(() => {
      const applied = this.engine.journal.peers().find((p) => p.name === peer)?.appliedSeq;
      if (applied === undefined) throw new KeystoreError('PEER_UNKNOWN', `Server ${peer} is not a peer of this server.`);
      this.engine.journal.removePeer(peer);
      this.journalWholeCopy(peer);
      // What this server holds of the peer's own changes is unchanged.
      this.engine.journal.markApplied(peer, applied);
    }).immediate();
  }

  private journalWholeCopy(peer: string): void {
    this.engine.journal.addPeer(peer);
    const journal = this.engine.journal;
    const sets = this.db.prepare(
      "SELECT s.id, s.nonce, s.class, s.size, s.created_at, l.name AS library FROM key_sets s JOIN libraries l ON l.id = s.library_id WHERE s.origin = 'local' ORDER BY s.id",
    ).all() as { id: number; nonce: string; class: string; size: number; created_at: number; library: string }[];
    const bounds = this.db.prepare('SELECT min(name) AS first, max(name) AS last FROM keys WHERE set_id = ?');
    for (const s of sets) {
      const { first, last } = bounds.get(s.id) as { first: string; last: string };
      journal.record('set', s.nonce, { library: s.library, class: s.class, size: s.size, createdAt: s.created_at, firstKey: first, lastKey: last } satisfies SetBody);
    }
    const allocated = this.db.prepare(
      "SELECT k.name, l.name AS library, k.tape, k.drive, k.allocated_at FROM keys k JOIN libraries l ON l.id = k.library_id WHERE k.origin = 'local' AND k.state != 'unused' ORDER BY k.seq",
    ).all() as { name: string; library: string; tape: string | null; drive: string | null; allocated_at: number | null }[];
    for (const a of allocated) {
      journal.record('allocation', a.name, { library: a.library, tape: a.tape, drive: a.drive, allocatedAt: a.allocated_at } satisfies AllocationBody);
    }
    const objects = this.db.prepare("SELECT o.key_seq FROM objects o JOIN keys k ON k.seq = o.key_seq WHERE k.origin != 'peer' ORDER BY o.key_seq").pluck().all() as number[];
    for (const seq of objects) {
      const snapshot = this.rows.snapshot(seq);
      journal.record('object', snapshot.uid, snapshot);
    }
  }

  /** This server's entries after `seq`, with the material the peer needs to keep its copy. */
  outgoing(seq: number, limit = 64): ReplicatedEntry[] {
    return this.engine.journal.after(seq, limit).map((e) => {
      if (e.kind === 'set') return { ...e, ...this.setMaterial(e.subject) };
      if (e.kind === 'object' && (e.body as unknown as ObjectSnapshot).origin === 'registered') {
        const key = this.key(e.subject);
        const material = key && !isTombstone(key.sealed) ? this.open(key) : undefined;
        return material ? { ...e, material: material.toString('base64') } : e;
      }
      return e;
    });
  }

  private setMaterial(nonce: string): Pick<ReplicatedEntry, 'material' | 'destroyed' | 'withdrawn'> {
    const keys = this.db.prepare(
      'SELECT k.seq, k.name, l.name AS library, k.library_id, k.origin, k.state, k.sealed FROM keys k JOIN key_sets s ON s.id = k.set_id JOIN libraries l ON l.id = k.library_id WHERE s.nonce = ? ORDER BY k.seq',
    ).all(nonce) as KeyRow[];
    if (keys.length === 0) return { withdrawn: true };
    const out = Buffer.alloc(keys.length * MATERIAL_BYTES);
    const destroyed: number[] = [];
    keys.forEach((k, i) => {
      if (isTombstone(k.sealed)) destroyed.push(i);
      else this.open(k).copy(out, i * MATERIAL_BYTES);
    });
    const material = out.toString('base64');
    out.fill(0);
    return { material, destroyed };
  }

  /**
   * Applies the peer's entries in order, skipping those already held, in one transaction
   * with the mark of the highest one held; answers that mark (the acknowledgement).
   * `senderLast` is the highest entry the peer says it ever wrote: lower than what is held
   * here, the peer's keystore went back in time (a restore), and its new entries would
   * reuse numbers held here, so they are refused rather than skipped as "already held".
   */
  apply(peer: string, entries: readonly ReplicatedEntry[], senderLast?: number): { applied: number } {
    return this.db.transaction(() => {
      const state = this.engine.journal.peers().find((p) => p.name === peer);
      if (!state) throw new KeystoreError('PEER_UNKNOWN', `Server ${peer} is not a peer of this server.`);
      if (senderLast !== undefined && senderLast < state.appliedSeq) {
        throw new KeystoreError('PEER_WENT_BACK', `Server ${peer} has written changes up to ${senderLast} only, but this server holds its changes up to ${state.appliedSeq}: it was restored from an older backup, and must be synchronised before it replicates again.`);
      }
      let applied = state.appliedSeq;
      for (const e of [...entries].sort((x, y) => x.seq - y.seq)) {
        if (e.seq <= applied) continue;
        this.applyOne(peer, e);
        applied = e.seq;
      }
      this.engine.journal.markApplied(peer, applied);
      return { applied };
    }).immediate();
  }

  private applyOne(peer: string, e: ReplicatedEntry): void {
    if (e.kind === 'set') this.applySet(e);
    else if (e.kind === 'allocation') this.applyAllocation(peer, e.subject, e.body as unknown as AllocationBody);
    else if (e.kind === 'object') this.applyObject(peer, e);
    else if (e.kind === 'sync') this.applySync(e.subject, String(e.body.lastKey));
    else if (e.kind === 'withdraw') this.applyWithdraw(e.subject);
    else throw new KeystoreError('PEER_ENTRY_INVALID', `Server ${peer} sent a change of a kind this server does not know; install the same qkm version on both.`);
  }

  /**
   * Stores a set as it travels: the peer's (origin 'peer', never handed out here), or,
   * on a server restored from a backup, one of its own that only the peer's copy still
   * holds (origin 'local', counted among the library's keys; the peer holds it, so it is
   * replicated already).
   */
  private applySet(e: ReplicatedEntry, origin: 'peer' | 'local' = 'peer'): void {
    const body = e.body as unknown as SetBody;
    const nonce = e.subject;
    if (e.withdrawn || this.db.prepare('SELECT 1 FROM key_sets WHERE nonce = ?').get(nonce)) return;
    const serial = body.firstKey.slice(0, body.firstKey.length - nonce.length - 8);
    const name = (i: number) => keyName(serial, nonce, i);
    const material = Buffer.from(e.material ?? '', 'base64');
    if (!KEY_NAME_PATTERN.test(body.firstKey) || name(0) !== body.firstKey || name(body.size - 1) !== body.lastKey || material.length !== body.size * MATERIAL_BYTES) {
      throw new KeystoreError('PEER_SET_INVALID', `The peer's key set ${nonce} arrived incomplete or misnamed; it was not stored.`);
    }
    const libraryId = this.library(body.library, body.class);
    const setId = Number(this.db.prepare('INSERT INTO key_sets (library_id, origin, class, size, nonce, created_at, replicated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(libraryId, origin, body.class, body.size, nonce, body.createdAt, origin === 'local' ? this.engine.world.now() : null).lastInsertRowid);
    if (origin === 'local') this.db.prepare('UPDATE libraries SET local_total = local_total + ? WHERE id = ?').run(body.size, libraryId);
    const sealed = this.engine.store.sealer.sealRun(Buffer.from(nonce, 'hex'), 0, material, { library: body.library, origin, state: 'unused' }, name);
    material.fill(0);
    const gone = new Set(e.destroyed ?? []);
    const row = (i: number) => [name(i), libraryId, setId, gone.has(i)
      ? this.engine.store.sealer.tombstone({ name: name(i), library: body.library, origin, state: 'unused' })
      : sealed.subarray(i * SEALED_BYTES, (i + 1) * SEALED_BYTES), origin];
    // Many rows per statement, as generation inserts its sets: half the cost of one per key.
    const addMany = this.db.prepare(`INSERT INTO keys (name, library_id, set_id, sealed, origin, state) VALUES ${Array(ROWS_PER_INSERT).fill(KEY_ROW).join(', ')}`);
    const addOne = this.db.prepare(`INSERT INTO keys (name, library_id, set_id, sealed, origin, state) VALUES ${KEY_ROW}`);
    let i = 0;
    for (; i + ROWS_PER_INSERT <= body.size; i += ROWS_PER_INSERT) {
      addMany.run(Array.from({ length: ROWS_PER_INSERT }, (_, j) => row(i + j)).flat());
    }
    for (; i < body.size; i++) addOne.run(row(i));
  }

  /** The peer took back a set it never used: our copy goes too. */
  private applyWithdraw(nonce: string): void {
    const set = this.db.prepare("SELECT id FROM key_sets WHERE nonce = ? AND origin = 'peer'").pluck().get(nonce) as number | undefined;
    if (set === undefined) return;
    this.db.prepare("DELETE FROM keys WHERE set_id = ? AND state = 'unused'").run(set);
    this.db.prepare('DELETE FROM key_sets WHERE id = ?').run(set);
  }

  private applyAllocation(peer: string, name: string, body: AllocationBody): void {
    const key = this.peerKey(peer, name);
    if (key.state !== 'unused') return;
    this.setAllocation(key, body.tape, body.drive, body.allocatedAt);
  }

  private applySync(library: string, lastKey: string): void {
    const last = this.key(lastKey);
    if (!last) return;
    const keys = this.db.prepare("SELECT k.seq, k.name, l.name AS library, k.library_id, k.origin, k.state, k.sealed FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = ? AND k.origin = 'peer' AND k.state = 'unused' AND k.seq <= ?")
      .all(library, last.seq) as KeyRow[];
    for (const k of keys) this.setAllocation(k, null, null, null);
  }

  private applyObject(peer: string, e: ReplicatedEntry): void {
    const o = e.body as unknown as ObjectSnapshot;
    let key = this.key(e.subject);
    if (!key && o.origin === 'registered' && e.material) {
      // An imported key belongs to no set: its copy arrives with its object.
      const material = Buffer.from(e.material, 'base64');
      const libraryId = this.library(o.library, 'i500');
      const fields = { name: o.uid, library: o.library, origin: 'registered', state: 'unused' };
      this.db.prepare("INSERT INTO keys (name, library_id, set_id, origin, state, sealed) VALUES (?, ?, NULL, 'registered', 'unused', ?)")
        .run(o.uid, libraryId, this.engine.store.sealer.seal(fields, material, this.engine.world.randomBytes(IV_BYTES)));
      material.fill(0);
      key = this.key(e.subject);
    }
    if (!key) key = this.peerKey(peer, e.subject);
    if (key.origin === 'local') return; // our own key: we are its source of truth
    if (key.origin === 'registered' && e.material && !this.holdsMaterial(key, e.material)) {
      // Both servers imported a key of this name, not the same one (names are unique
      // worldwide, so a sender erred): neither is given up, and the administrator hears.
      this.engine.tickets.raise('imported-key-conflict', { key: key.name, library: key.library, peer });
      return;
    }
    if (o.alloc !== 'unused' && key.state === 'unused') key = this.setAllocation(key, o.tape, o.drive, null);
    else this.db.prepare('UPDATE keys SET tape = ?, drive = ? WHERE seq = ?').run(o.tape, o.drive, key.seq);
    if (isDestroyedState(o.state) && !isTombstone(key.sealed)) {
      this.db.prepare('UPDATE keys SET sealed = ? WHERE seq = ?').run(this.engine.store.sealer.tombstone(this.fields(key)), key.seq);
    }
    this.writeObject(key, o);
  }

  /** The object and its attributes as the snapshot has them, replacing what was there. */
  private writeObject(key: KeyRow, o: ObjectSnapshot): void {
    this.db.prepare(`INSERT INTO objects (key_seq, library_id, object_type, state, initial_date, activation_date, deactivation_date, destroy_date,
        compromise_occurrence_date, compromise_date, revocation_reason, revocation_message, last_change_date)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (key_seq) DO UPDATE SET state = excluded.state, initial_date = excluded.initial_date, activation_date = excluded.activation_date,
        deactivation_date = excluded.deactivation_date, destroy_date = excluded.destroy_date, compromise_occurrence_date = excluded.compromise_occurrence_date,
        compromise_date = excluded.compromise_date, revocation_reason = excluded.revocation_reason, revocation_message = excluded.revocation_message,
        last_change_date = excluded.last_change_date`)
      .run(key.seq, key.library_id, o.objectType ?? SYMMETRIC_KEY, o.state ?? ObjectState.PreActive, o.initialDate, o.activationDate, o.deactivationDate, o.destroyDate,
        o.compromiseOccurrenceDate, o.compromiseDate, o.revocationReason, o.revocationMessage, o.lastChangeDate);
    this.db.prepare('DELETE FROM attributes WHERE key_seq = ?').run(key.seq);
    const add = this.db.prepare('INSERT INTO attributes (key_seq, library_id, name, idx, type, value, search) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const a of o.attributes) add.run(key.seq, key.library_id, a.name, a.idx, a.type, a.value, searchKey(a.name, decodeValue(a.type, a.value)));
  }

  /** This server's own sets, by nonce: what a restored server tells its peer it holds. */
  localSets(): string[] {
    return this.db.prepare("SELECT nonce FROM key_sets WHERE origin = 'local' ORDER BY id").pluck().all() as string[];
  }

  /**
   * On the peer of a restored server (`serial`): every key of that server this copy holds
   * as handed out, with its object, and the highest of its entries held here.
   */
  heldFor(serial: string, setsThere: readonly string[] = []): { applied: number; keys: HeldKey[]; sets: ReplicatedEntry[] } {
    const state = this.engine.journal.peers().find((p) => p.name === serial);
    if (!state) throw new KeystoreError('PEER_UNKNOWN', `Server ${serial} is not a peer of this server.`);
    // Sets generated after its backup: this copy is the only one left, material and all.
    const there = new Set(setsThere);
    const setRows = this.db.prepare(
      "SELECT s.nonce, s.class, s.size, s.created_at, l.name AS library, min(k.name) AS first, max(k.name) AS last FROM key_sets s JOIN libraries l ON l.id = s.library_id JOIN keys k ON k.set_id = s.id WHERE s.origin = 'peer' AND k.name LIKE ? GROUP BY s.id ORDER BY s.id",
    ).all(`${serial}-%`) as { nonce: string; class: string; size: number; created_at: number; library: string; first: string; last: string }[];
    const sets: ReplicatedEntry[] = setRows.filter((r) => !there.has(r.nonce)).map((r) => ({
      seq: 0, kind: 'set', subject: r.nonce, at: r.created_at,
      body: { library: r.library, class: r.class, size: r.size, createdAt: r.created_at, firstKey: r.first, lastKey: r.last } satisfies SetBody as unknown as Record<string, unknown>,
      ...this.setMaterial(r.nonce),
    }));
    const rows = this.db.prepare("SELECT seq, name, tape, drive, allocated_at FROM keys WHERE origin = 'peer' AND state = 'allocated' AND name LIKE ? ORDER BY seq")
      .all(`${serial}-%`) as { seq: number; name: string; tape: string | null; drive: string | null; allocated_at: number | null }[];
    const hasObject = this.db.prepare('SELECT 1 FROM objects WHERE key_seq = ?').pluck();
    return {
      applied: state.appliedSeq,
      sets,
      keys: rows.map((r) => ({ name: r.name, tape: r.tape, drive: r.drive, allocatedAt: r.allocated_at, object: hasObject.get(r.seq) ? this.rows.snapshot(r.seq) : null })),
    };
  }

  /**
   * On a server restored from a backup: what its peer holds of it. Every key the peer saw
   * handed out is handed out here again (never to be given twice), with its tape and
   * object, and every library may be given keys again; the journal's numbering jumps past
   * what the peer holds, so that the peer takes this server's next changes as new. One
   * transaction: all of it or, after a crash, none.
   */
  recoverFromPeer(peer: string, held: { applied: number; keys: readonly HeldKey[]; sets?: readonly ReplicatedEntry[] }): { recovered: number; unknown: number; sets: number } {
    return this.db.transaction(() => {
      let recovered = 0;
      let unknown = 0;
      let sets = 0;
      for (const s of held.sets ?? []) {
        if (!s.subject || this.db.prepare('SELECT 1 FROM key_sets WHERE nonce = ?').get(s.subject)) continue;
        this.applySet(s, 'local');
        sets++;
      }
      for (const h of held.keys) {
        let key = this.key(h.name);
        if (key?.origin !== 'local') {
          unknown++; // a key of a set the peer's copy no longer holds either
          continue;
        }
        if (key.state === 'unused') {
          key = this.setAllocation(key, h.tape, h.drive, h.allocatedAt);
          this.db.prepare('UPDATE libraries SET local_used = local_used + 1 WHERE id = ?').run(key.library_id);
          recovered++;
        }
        if (h.object && !this.db.prepare('SELECT 1 FROM objects WHERE key_seq = ?').get(key.seq)) this.writeObject(key, h.object);
      }
      for (const library of this.db.prepare('SELECT name FROM libraries WHERE needs_sync = 1').pluck().all() as string[]) {
        this.engine.tickets.close(`sync-needed:${library}`);
      }
      this.db.prepare('UPDATE libraries SET needs_sync = 0').run();
      this.db.prepare("INSERT INTO sqlite_sequence (name, seq) SELECT 'journal', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'journal')").run();
      this.db.prepare("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'journal'").run(held.applied);
      if (!this.engine.journal.peers().some((p) => p.name === peer)) throw new KeystoreError('PEER_UNKNOWN', `Server ${peer} is not a peer of this server.`);
      return { recovered, unknown, sets };
    }).immediate();
  }

  private setAllocation(key: KeyRow, tape: string | null, drive: string | null, at: number | null): KeyRow {
    this.verify(key);
    const sealed = isTombstone(key.sealed)
      ? this.engine.store.sealer.tombstone({ ...this.fields(key), state: 'allocated' })
      : this.engine.store.sealer.retag({ ...this.fields(key), state: 'allocated' }, key.sealed);
    this.db.prepare("UPDATE keys SET state = 'allocated', sealed = ?, tape = ?, drive = ?, allocated_at = ? WHERE seq = ?").run(sealed, tape, drive, at, key.seq);
    return { ...key, state: 'allocated', sealed };
  }

  private library(name: string, cls: string): number {
    this.db.prepare('INSERT INTO libraries (name, class, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, cls, this.engine.world.now());
    return this.db.prepare('SELECT id FROM libraries WHERE name = ?').pluck().get(name) as number;
  }

  private key(name: string): KeyRow | undefined {
    return this.db.prepare('SELECT k.seq, k.name, l.name AS library, k.library_id, k.origin, k.state, k.sealed FROM keys k JOIN libraries l ON l.id = k.library_id WHERE k.name = ?')
      .get(name) as KeyRow | undefined;
  }

  /** A key the peer's entry names: its copy must be here, since its set's entry came first. */
  private peerKey(peer: string, name: string): KeyRow {
    const key = this.key(name);
    if (!key) throw new KeystoreError('PEER_KEY_MISSING', `Server ${peer} sent a change to key ${name}, which this server holds no copy of; pair the servers again.`);
    return key;
  }

  private fields(k: KeyRow) {
    return { name: k.name, library: k.library, origin: k.origin, state: k.state };
  }

  private verify(k: KeyRow): void {
    const ok = isTombstone(k.sealed) ? this.engine.store.sealer.tombstoneIntact(this.fields(k), k.sealed) : this.engine.store.sealer.intact(this.fields(k), k.sealed);
    if (!ok) throw recordDamaged(k.name);
  }

  /** Whether the key's record here holds `material` (base64); a destroyed key holds none. */
  private holdsMaterial(k: KeyRow, material: string): boolean {
    if (isTombstone(k.sealed)) return true;
    const ours = this.open(k);
    const theirs = Buffer.from(material, 'base64');
    try {
      return ours.length === theirs.length && timingSafeEqual(ours, theirs);
    } finally {
      ours.fill(0);
      theirs.fill(0);
    }
  }

  private open(k: KeyRow): Buffer {
    const material = this.engine.store.sealer.open(this.fields(k), k.sealed);
    if (!material) throw recordDamaged(k.name);
    return material;
  }
}
