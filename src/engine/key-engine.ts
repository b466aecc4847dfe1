import type Database from 'better-sqlite3';
import { KeyEngineError, KeystoreError } from '../errors.js';
import { Tickets } from '../ras/tickets.js';
import { type Keystore, LOOSE_KEYS_META } from './keystore.js';
import { LIBRARY_NAME_PATTERN, TAPE_PATTERN, keyName } from './names.js';
import { ChangeJournal } from './journal.js';
import { ObjectWriter } from './object-writer.js';
import { recoverObjects } from './recovered-objects.js';
import { MATERIAL_BYTES, type RecordFields, SEALED_BYTES, isTombstone } from './record-crypto.js';
import { SealPool } from './seal-pool.js';
import { sealRange } from './seal-range.js';
import type { World } from './world.js';
import { quoteClientValue } from '../util/bounded-text.js';

export const LIBRARY_CLASSES = ['i500', 'i2000'] as const;
export type LibraryClass = (typeof LIBRARY_CLASSES)[number];

export interface EngineSettings {
  serial: string;
  setSizes: Record<LibraryClass, number>;
  /** Percent of a library's keys used at which it is "depleted": ticket, and generation allowed. */
  depletionPercent: number;
  /** Refuse keys from a set no backup contains yet. */
  requireBackup: boolean;
}

export type Progress = (done: number, total: number) => void;

export type GenerateResult =
  | { generated: true; library: string; class: LibraryClass; count: number; setId: number; firstKey: string; lastKey: string }
  | { generated: false; library: string; unused: number; needed: number };

export interface AllocationRequest { library: string; tape: string; drive?: string }

export interface Allocation { name: string; material: Buffer; library: string; tape: string; drive: string | null; allocatedAt: number }

export interface StoredKey {
  name: string;
  library: string;
  origin: 'local' | 'peer' | 'registered';
  state: 'unused' | 'allocated' | 'skipped';
  material: Buffer;
  tape: string | null;
  drive: string | null;
  allocatedAt: number | null;
}

export interface LibraryStatus {
  library: string;
  class: LibraryClass;
  total: number;
  used: number;
  unused: number;
  pendingBackup: number;
  percentUsed: number;
  needsSync: boolean;
}

interface LibraryRow { id: number; name: string; class: LibraryClass; needs_sync: number; local_total: number; local_used: number }

const LAST_BACKUP_META = 'last_backup_at';

const NEW_KEY_ROW = "(?, ?, ?, 'local', 'unused', ?)";
const INSERT_CHUNK = 64;

/**
 * The key engine: per-library key sets, allocation of one key per tape, lookup for
 * reads. Plain values in, plain values out; no transport, no drivers. Every change is
 * one SQLite transaction (WAL, synchronous=FULL), so a crash leaves all of it or none.
 */
export class KeyEngine {
  readonly tickets: Tickets;
  /** What the peer servers must learn; each change below records its entry in its own transaction. */
  readonly journal: ChangeJournal;
  private readonly q: Statements;
  private readonly objects: ObjectWriter;

  constructor(readonly store: Keystore, readonly settings: EngineSettings, readonly world: World) {
    const db = store.db;
    this.tickets = new Tickets(db, () => world.now());
    this.journal = new ChangeJournal(db, () => world.now());
    this.objects = new ObjectWriter(db);
    this.q = statementsOf(db);
  }

  /** Generates a set for `library` if its unused keys are insufficient; otherwise says there are enough. */
  generate(library: string, cls: LibraryClass, onProgress?: Progress): GenerateResult {
    const plan = this.planSet(library, cls);
    if ('generated' in plan) return plan;
    const materials = this.world.randomBytes(plan.size * MATERIAL_BYTES);
    try {
      const sealed = sealRange({ ...this.sealParams(library, plan.nonce), from: 0, materials });
      onProgress?.(plan.size, plan.size);
      return this.commitSet(library, cls, plan, sealed);
    } finally {
      materials.fill(0);
    }
  }

  /**
   * As generate, with the sealing spread over worker threads (one per core) when the
   * built program runs: what qkmcmds uses. The set is committed the same way.
   */
  async generateInParallel(library: string, cls: LibraryClass, onProgress?: Progress): Promise<GenerateResult> {
    const pool = SealPool.get();
    if (!pool) return this.generate(library, cls, onProgress);
    const plan = this.planSet(library, cls);
    if ('generated' in plan) return plan;
    const materials = this.world.randomBytes(plan.size * MATERIAL_BYTES);
    try {
      const per = Math.ceil(plan.size / pool.size);
      let done = 0;
      const parts = await Promise.all(Array.from({ length: pool.size }, async (_, w) => {
        const from = Math.min(plan.size, w * per);
        const count = Math.min(plan.size, from + per) - from;
        const part = await pool.seal({ ...this.sealParams(library, plan.nonce), from, materials: materials.subarray(from * MATERIAL_BYTES, (from + count) * MATERIAL_BYTES) });
        onProgress?.((done += count), plan.size);
        return part;
      }));
      return this.commitSet(library, cls, plan, Buffer.concat(parts));
    } finally {
      materials.fill(0);
    }
  }

  private sealParams(library: string, nonce: string) {
    return { keys: this.store.keys.records, serial: this.settings.serial, library, nonce };
  }

  private planSet(library: string, cls: LibraryClass): GenerateResult | { size: number; needed: number; nonce: string } {
    checkLibraryName(library);
    if (!LIBRARY_CLASSES.includes(cls)) {
      throw new KeyEngineError('BAD_CLASS', `Library class ${quoteClientValue(cls)} is unknown; use one of ${LIBRARY_CLASSES.join(', ')}.`, { params: { keyClass: cls } });
    }
    const size = this.settings.setSizes[cls];
    const needed = Math.ceil((size * (100 - this.settings.depletionPercent)) / 100);
    // Sealing happens before the write lock is taken, so allocations wait only for the inserts.
    return this.enoughKeys(library, needed) ?? { size, needed, nonce: this.world.randomBytes(8).toString('hex') };
  }

  private enoughKeys(library: string, needed: number): GenerateResult | undefined {
    const lib = this.q.library.get(library) as LibraryRow | undefined;
    const unused = lib ? lib.local_total - lib.local_used : 0;
    return lib && unused >= needed ? { generated: false, library, unused, needed } : undefined;
  }

  /** One transaction: after a crash there is the whole set or none of it. */
  private commitSet(library: string, cls: LibraryClass, plan: { size: number; needed: number; nonce: string }, sealed: Buffer): GenerateResult {
    const { size, nonce } = plan;
    const name = (i: number) => keyName(this.settings.serial, nonce, i);
    const record = (i: number) => sealed.subarray(i * SEALED_BYTES, (i + 1) * SEALED_BYTES);
    return this.store.db.transaction((): GenerateResult => {
      const answer = this.enoughKeys(library, plan.needed); // another process may have generated meanwhile
      if (answer) return answer;
      const now = this.world.now();
      this.q.addLibrary.run(library, cls, now);
      const lib = this.q.library.get(library) as LibraryRow;
      // With peers, the set waits for their copies (journal.acknowledge marks it); alone, it is whole now.
      const replicated = this.journal.peers().length > 0 ? null : now;
      const setId = Number(this.q.addSet.run(lib.id, cls, size, nonce, now, this.settings.requireBackup ? null : now, replicated).lastInsertRowid);
      let i = 0;
      for (; i + INSERT_CHUNK <= size; i += INSERT_CHUNK) {
        const args: unknown[] = [];
        for (let j = i; j < i + INSERT_CHUNK; j++) args.push(name(j), lib.id, setId, record(j));
        this.q.addKeys.run(args);
      }
      for (; i < size; i++) this.q.addKey.run(name(i), lib.id, setId, record(i));
      this.q.grow.run(size, lib.id);
      this.journal.record('set', nonce, { library, class: cls, size, createdAt: now, firstKey: name(0), lastKey: name(size - 1) });
      if (this.settings.requireBackup) {
        this.tickets.raise('backup-needed', { library });
      }
      this.updateDepletionTickets(this.q.library.get(library) as LibraryRow);
      return { generated: true, library, class: cls, count: size, setId, firstKey: name(0), lastKey: name(size - 1) };
    }).immediate();
  }

  /** Hands the next unused key of the library's set to a tape being written. */
  allocate(req: AllocationRequest): Allocation {
    const [outcome] = this.allocateBatch([req]);
    if (outcome instanceof KeyEngineError) throw outcome;
    return outcome!;
  }

  /**
   * Group commit: many allocations in one durable transaction (one fsync), each answered
   * with its key or its refusal. Nothing is acknowledged before the commit, so a crash
   * loses only unanswered requests. See AllocationQueue for how callers share it.
   */
  allocateBatch(reqs: readonly AllocationRequest[]): (Allocation | KeyEngineError)[] {
    // Refusals must still commit their tickets, so they are returned, never thrown.
    return this.store.db.transaction(() => reqs.map((r) => this.allocateOne(r))).immediate();
  }

  private allocateOne(req: AllocationRequest): Allocation | KeyEngineError {
    if (!LIBRARY_NAME_PATTERN.test(req.library)) return badLibrary(req.library);
    if (!TAPE_PATTERN.test(req.tape)) {
      return new KeyEngineError('BAD_TAPE', `Tape ${quoteClientValue(req.tape)} is not a valid barcode; use 1 to 32 printable characters without spaces.`, { params: { tape: req.tape } });
    }
    if (req.drive !== undefined && !TAPE_PATTERN.test(req.drive)) {
      return new KeyEngineError('BAD_DRIVE', `Drive ${quoteClientValue(req.drive)} is not a valid drive identifier; use 1 to 32 printable characters without spaces.`, { params: { drive: req.drive } });
    }
    const lib = this.q.library.get(req.library) as LibraryRow | undefined;
    if (!lib) {
      return new KeyEngineError('NO_KEY_SET', `Library ${req.library} has no key set on this server; generate one for it, then take a backup.`, { params: { library: req.library, tape: req.tape } });
    }
    if (lib.needs_sync) {
      this.tickets.raise('sync-needed', { library: lib.name });
      return new KeyEngineError('NEEDS_SYNC', `Library ${lib.name} must be synchronised after the restore before new keys are handed out; synchronise it with the last key the library used.`, { params: { library: lib.name } });
    }
    const next = this.q.nextUnused.get(lib.id) as { seq: number; name: string; sealed: Buffer; backed_up_at: number | null; replicated_at: number | null } | undefined;
    if (!next) {
      this.updateDepletionTickets(lib);
      return new KeyEngineError('KEYS_EXHAUSTED', `Library ${lib.name} has no unused keys left on this server; generate a new set of ${lib.class} keys for it, then take a backup.`, { params: { library: lib.name, keyClass: lib.class } });
    }
    if (next.replicated_at === null) {
      return new KeyEngineError('KEYS_PENDING_PEER', `The newest keys of library ${lib.name} are not yet stored on the peer server; they are used once it holds its copy.`);
    }
    if (this.settings.requireBackup && next.backed_up_at === null) {
      return new KeyEngineError('KEYS_PENDING_BACKUP', `The keys of library ${lib.name} are not in any backup yet; take a backup before they are used.`, { params: { library: lib.name } });
    }
    const now = this.world.now();
    const fields = { name: next.name, library: lib.name, origin: 'local' };
    const material = this.open({ ...fields, state: 'unused' }, next.sealed);
    const changed = this.q.markAllocated.run(this.store.sealer.retag({ ...fields, state: 'allocated' }, next.sealed), req.tape, req.drive ?? null, now, next.seq).changes;
    if (changed !== 1) throw new Error(`allocation of ${next.name} raced: ${changed} rows changed`);
    this.q.useUp.run(1, lib.id);
    this.journal.record('allocation', next.name, { library: lib.name, tape: req.tape, drive: req.drive ?? null, allocatedAt: now });
    // Using keys only ever opens depletion tickets; generate and sync are what close them.
    if (isDepleted(lib.local_used + 1, lib.local_total, this.settings.depletionPercent)) {
      this.updateDepletionTickets({ ...lib, local_used: lib.local_used + 1 });
    }
    return { name: next.name, material, library: lib.name, tape: req.tape, drive: req.drive ?? null, allocatedAt: now };
  }

  /** The key with this name, for reading (or appending to) a tape. Verifies its MAC first. */
  lookup(name: string): StoredKey {
    const row = this.q.byName.get(name) as
      | { name: string; library: string; origin: StoredKey['origin']; state: StoredKey['state']; sealed: Buffer; tape: string | null; drive: string | null; allocated_at: number | null }
      | undefined;
    if (!row) throw new KeyEngineError('KEY_NOT_FOUND', `No key named ${quoteClientValue(name)} is in this keystore; check the name, or restore the backup that holds it.`, { params: { key: name } });
    if (isTombstone(row.sealed)) throw new KeyEngineError('KEY_DESTROYED', `The key ${name} was destroyed; a tape written with it can no longer be read.`, { params: { key: name } });
    return {
      name: row.name, library: row.library, origin: row.origin, state: row.state,
      material: this.open(row, row.sealed),
      tape: row.tape, drive: row.drive, allocatedAt: row.allocated_at,
    };
  }

  /**
   * After a restore: every unused key of the library up to and including `lastKey` (the
   * last one the library used) was handed to the library after the backup. Each becomes
   * allocated again, so none is handed out twice, and the library's KMIP object again, so
   * the tapes written with it can be read (recovered-objects.ts says with what).
   */
  sync(lastKey: string): { library: string; recovered: number } {
    return this.store.db.transaction(() => {
      const key = this.q.byName.get(lastKey) as { seq: number; library_id: number; library: string; origin: string } | undefined;
      if (!key) throw new KeyEngineError('KEY_NOT_FOUND', `No key named ${quoteClientValue(lastKey)} is in this keystore; give the name of the last key the library used.`, { params: { key: lastKey } });
      if (key.origin !== 'local') {
        throw new KeyEngineError('PEER_KEY', `Key ${lastKey} was not generated by this server (it is ${key.origin === 'peer' ? "a copy of the peer server's key" : 'an imported key'}); synchronise with a key this server generated.`, { params: { key: lastKey, origin: key.origin } });
      }
      const rows = this.q.unusedUpTo.all(key.library_id, key.seq) as { seq: number; name: string; sealed: Buffer }[];
      for (const r of rows) {
        const fields = { name: r.name, library: key.library, origin: 'local' };
        this.verify({ ...fields, state: 'unused' }, r.sealed);
        this.q.markRecovered.run(this.store.sealer.retag({ ...fields, state: 'allocated' }, r.sealed), r.seq);
      }
      recoverObjects(this.objects, rows.map((r) => ({ seq: r.seq, library_id: key.library_id, name: r.name })), this.world.now());
      this.q.useUp.run(rows.length, key.library_id);
      this.q.synced.run(key.library_id);
      this.journal.record('sync', key.library, { lastKey, recovered: rows.length });
      this.tickets.close(`sync-needed:${key.library}`);
      this.updateDepletionTickets(this.q.library.get(key.library) as LibraryRow);
      return { library: key.library, recovered: rows.length };
    }).immediate();
  }

  /**
   * After a restore, for a library that was never handed a key of this server: nothing to
   * recover, it may be given keys again. Refused when the keystore shows keys it used, since
   * then the library has a last key, and only that key says how far it got after the backup.
   */
  syncNoneUsed(library: string): { library: string; recovered: number } {
    return this.store.db.transaction(() => {
      const lib = this.q.library.get(library) as LibraryRow | undefined;
      if (!lib) throw new KeyEngineError('NO_KEY_SET', `Library ${quoteClientValue(library)} has no keys on this server, so there is nothing to synchronise.`, { params: { library } });
      if (lib.local_used > 0) {
        throw new KeyEngineError('KEYS_USED', `Library ${lib.name} has used ${lib.local_used} key(s) of this server; give the last key it used with --last-key instead.`, { params: { library: lib.name, used: lib.local_used } });
      }
      this.q.synced.run(lib.id);
      this.tickets.close(`sync-needed:${lib.name}`);
      return { library: lib.name, recovered: 0 };
    }).immediate();
  }

  status(): LibraryStatus[] {
    // Counting a library's keys pending backup reads all its unused keys; most libraries
    // have no set waiting for a backup, and their count is 0 without reading any key
    // (a scrape of 1,000,000 keys stays a few milliseconds).
    const waiting = new Set(this.q.librariesAwaitingBackup.pluck().all() as number[]);
    return (this.q.allLibraries.all() as LibraryRow[]).map((l) => ({
      library: l.name,
      class: l.class,
      total: l.local_total,
      used: l.local_used,
      unused: l.local_total - l.local_used,
      pendingBackup: waiting.has(l.id) ? (this.q.pendingCount.pluck().get(l.id) as number) : 0,
      percentUsed: l.local_total === 0 ? 0 : Math.round((1000 * l.local_used) / l.local_total) / 10,
      needsSync: l.needs_sync === 1,
    }));
  }

  /**
   * When the last backup was taken (lastBackupAt, as the metrics say it), and what was generated
   * since that no backup holds: the status page warns while `setsSince` is above 0.
   */
  backupState(): { lastBackupAt: number | null; setsSince: number; keysSince: number } {
    const r = this.q.backupState.get() as { sets: number; keys: number | null };
    return { lastBackupAt: this.lastBackupAt(), setsSince: r.sets, keysSince: r.keys ?? 0 };
  }

  /** One library's own keys, all sets together, and how many went to tapes: a row read, for a library's every key request. */
  usage(library: string): { total: number; used: number } {
    const lib = this.q.library.get(library) as LibraryRow | undefined;
    return { total: lib?.local_total ?? 0, used: lib?.local_used ?? 0 };
  }

  /** Whether every peer holds its copy of the set (generation waits for this). */
  /** The library's own sets the peers do not hold yet (none on a standalone server). */
  setsAwaitingPeer(library: string): number[] {
    return this.store.db.prepare("SELECT s.id FROM key_sets s JOIN libraries l ON l.id = s.library_id WHERE l.name = ? AND s.origin = 'local' AND s.replicated_at IS NULL ORDER BY s.id")
      .pluck().all(library) as number[];
  }

  isReplicated(setId: number): boolean {
    const replicated = (this.store.db.prepare('SELECT replicated_at FROM key_sets WHERE id = ?').pluck().get(setId) ?? null) !== null;
    if (replicated) {
      const library = this.store.db.prepare('SELECT l.name FROM key_sets s JOIN libraries l ON l.id = s.library_id WHERE s.id = ?').pluck().get(setId) as string;
      this.tickets.close(`pair-generation-failed:${library}`);
    }
    return replicated;
  }

  /**
   * Takes back a set the peers did not store in time: never used (allocation refuses it
   * until they do), so it goes whole, and the peers are told to drop any copy they got.
   * Refused once any peer holds it (then it is usable and stays).
   */
  withdrawSet(setId: number, why: string): boolean {
    return this.store.db.transaction(() => {
      const set = this.store.db.prepare("SELECT s.id, s.nonce, s.size, s.library_id, l.name AS library, s.replicated_at FROM key_sets s JOIN libraries l ON l.id = s.library_id WHERE s.id = ? AND s.origin = 'local'")
        .get(setId) as { nonce: string; size: number; library_id: number; library: string; replicated_at: number | null } | undefined;
      if (!set || set.replicated_at !== null) return false;
      const removed = this.store.db.prepare("DELETE FROM keys WHERE set_id = ? AND state = 'unused'").run(setId).changes;
      if (removed !== set.size) throw new Error(`set ${set.nonce} had keys in use while waiting for its peer copy`);
      this.store.db.prepare('DELETE FROM key_sets WHERE id = ?').run(setId);
      this.q.grow.run(-set.size, set.library_id);
      this.journal.record('withdraw', set.nonce, { library: set.library });
      this.tickets.open(`pair-generation-failed:${set.library}`, 'error', why);
      this.updateDepletionTickets(this.q.library.get(set.library) as LibraryRow);
      return true;
    }).immediate();
  }

  /**
   * Called by backup once its files are safely written: those sets may now be used, and
   * the backup holds the first `heldLoose` keys ever stored outside a set. The ticket
   * closes only when no set waits and no key outside a set came after the backup's snapshot.
   */
  markBackedUp(setIds: readonly number[], at: number, heldLoose?: number): void {
    const mark = this.store.db.prepare('UPDATE key_sets SET backed_up_at = ? WHERE id = ? AND backed_up_at IS NULL');
    this.store.db.transaction(() => {
      for (const id of setIds) mark.run(at, id);
      this.store.setMeta(LAST_BACKUP_META, String(at));
      const looseAfter = heldLoose === undefined ? 0 : Number(this.store.meta(LOOSE_KEYS_META) ?? 0) - heldLoose;
      if ((this.q.anyPending.pluck().get() as number) === 0 && looseAfter === 0) this.tickets.close('backup-needed');
    }).immediate();
  }

  /**
   * When the last backup was written (ms since the epoch), or null if none was. A keystore
   * backed up before this was recorded answers with its newest set's backup time.
   */
  lastBackupAt(): number | null {
    const recorded = this.store.meta(LAST_BACKUP_META);
    if (recorded !== undefined) return Number(recorded);
    return (this.store.db.prepare("SELECT max(backed_up_at) FROM key_sets WHERE origin = 'local'").pluck().get() as number | null) ?? null;
  }

  private open(fields: RecordFields, sealed: Buffer): Buffer {
    const material = this.store.sealer.open(fields, sealed);
    if (!material) throw recordDamaged(fields.name);
    return material;
  }

  private verify(fields: RecordFields, sealed: Buffer): void {
    if (!this.store.sealer.intact(fields, sealed)) throw recordDamaged(fields.name);
  }

  private updateDepletionTickets(lib: LibraryRow): void {
    const used = lib.local_used;
    const total = lib.local_total;
    const depleted = isDepleted(used, total, this.settings.depletionPercent);
    if (depleted) {
      this.tickets.raise('keys-depleted', { library: lib.name, keyClass: lib.class, used, total, percent: this.settings.depletionPercent });
    } else {
      this.tickets.close(`keys-depleted:${lib.name}`);
    }
    if (total > 0 && used >= total) {
      this.tickets.raise('keys-exhausted', { library: lib.name, keyClass: lib.class });
    } else {
      this.tickets.close(`keys-exhausted:${lib.name}`);
    }
  }
}

export function recordDamaged(name: string): KeystoreError {
  return new KeystoreError('KEY_RECORD_DAMAGED', `The stored key ${name} fails its integrity check; check the keystore, then restore from a backup.`, { params: { key: name } });
}

function isDepleted(used: number, total: number, percent: number): boolean {
  return total > 0 && used * 100 >= total * percent;
}

function badLibrary(library: string): KeyEngineError {
  return new KeyEngineError('BAD_LIBRARY', `Library name ${quoteClientValue(library)} is not valid; use 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.`, { params: { library } });
}

function checkLibraryName(library: string): void {
  if (!LIBRARY_NAME_PATTERN.test(library)) throw badLibrary(library);
}

/** The prepared statements, by name: a misspelt name does not compile. */
function statementsOf(db: Database.Database) {
  return {
    library: db.prepare('SELECT * FROM libraries WHERE name = ?'),
    addLibrary: db.prepare('INSERT INTO libraries (name, class, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET class = excluded.class'),
    addSet: db.prepare("INSERT INTO key_sets (library_id, origin, class, size, nonce, created_at, backed_up_at, replicated_at) VALUES (?, 'local', ?, ?, ?, ?, ?, ?)"),
    addKey: db.prepare(`INSERT INTO keys (name, library_id, set_id, origin, state, sealed) VALUES ${NEW_KEY_ROW}`),
    // Many rows per statement: a set's inserts cost half as much as one statement per key.
    addKeys: db.prepare(`INSERT INTO keys (name, library_id, set_id, origin, state, sealed) VALUES ${Array(INSERT_CHUNK).fill(NEW_KEY_ROW).join(', ')}`),
    grow: db.prepare('UPDATE libraries SET local_total = local_total + ? WHERE id = ?'),
    useUp: db.prepare('UPDATE libraries SET local_used = local_used + ? WHERE id = ?'),
    nextUnused: db.prepare(
      "SELECT k.seq, k.name, k.sealed, s.backed_up_at, s.replicated_at FROM keys k JOIN key_sets s ON s.id = k.set_id WHERE k.library_id = ? AND k.state = 'unused' AND k.origin = 'local' ORDER BY k.seq LIMIT 1",
    ),
    markAllocated: db.prepare("UPDATE keys SET state = 'allocated', sealed = ?, tape = ?, drive = ?, allocated_at = ? WHERE seq = ? AND state = 'unused'"),
    byName: db.prepare('SELECT k.*, l.name AS library FROM keys k JOIN libraries l ON l.id = k.library_id WHERE k.name = ?'),
    unusedUpTo: db.prepare("SELECT seq, name, sealed FROM keys WHERE library_id = ? AND state = 'unused' AND origin = 'local' AND seq <= ? ORDER BY seq"),
    // Tape, drive and time stay NULL: the restored keystore never saw this allocation.
    markRecovered: db.prepare("UPDATE keys SET state = 'allocated', sealed = ? WHERE seq = ? AND state = 'unused'"),
    synced: db.prepare('UPDATE libraries SET needs_sync = 0 WHERE id = ?'),
    pendingCount: db.prepare(
      "SELECT COUNT(*) FROM keys k JOIN key_sets s ON s.id = k.set_id WHERE k.library_id = ? AND s.backed_up_at IS NULL AND k.origin = 'local' AND k.state = 'unused'",
    ),
    backupState: db.prepare(
      "SELECT count(*) AS sets, sum(size) AS keys FROM key_sets WHERE backed_up_at IS NULL AND origin = 'local'",
    ),
    anyPending: db.prepare("SELECT COUNT(*) FROM key_sets WHERE backed_up_at IS NULL AND origin = 'local'"),
    allLibraries: db.prepare('SELECT * FROM libraries ORDER BY name'),
    librariesAwaitingBackup: db.prepare("SELECT DISTINCT library_id FROM key_sets WHERE backed_up_at IS NULL AND origin = 'local'"),
  };
}

type Statements = ReturnType<typeof statementsOf>;
