/**
 * Keys as KMIP managed objects. A key becomes an object when it is handed to a library
 * (create: the next key of the library's set, never a fresh one) or imported for it
 * (register); unused keys of a set are stock, not objects, so no client can see or fetch
 * a key before it is allocated.
 *
 * The Unique Identifier of an object is its key name. The name is already unique across
 * every appliance in the world (names.ts), it is what a tape carries and what the
 * administrator sees in status, backups and tickets, and it survives backup, restore and
 * (later) replication to the peer unchanged; a second identifier would need a mapping
 * that could disagree with it.
 *
 * Every method takes the calling library and acts only on that library's objects: another
 * library's object is "not found", never "forbidden", so its existence is not confirmed.
 * Each mutation is one transaction (a savepoint when the KMIP layer runs a batch in one).
 */
import type Database from 'better-sqlite3';
import { KeyEngineError } from '../errors.js';
import { encodeValue, sameValue } from './attribute-codec.js';
import {
  DEFAULT_USAGE_MASK,
  MAX_STORED_ATTRIBUTES,
  checkAttribute,
  derivedAttributes,
  isMultiValued,
  ruleFor,
  searchKey,
} from './attributes.js';
import { type KeyEngine, recordDamaged } from './key-engine.js';
import { LIBRARY_NAME_PATTERN, TAPE_PATTERN, keyName } from './names.js';
import { ObjectError } from './object-errors.js';
import { Locator, type LocateQuery } from './object-locate.js';
import { KeyFormat, type KeySpec, SECRET_TYPE_ATTRIBUTE, checkMaterial, kindAttributes, kindOf, mintMaterial, requestedSpec } from './key-kinds.js';
import {
  AES,
  CA_COMPROMISE,
  KEY_BITS,
  KEY_COMPROMISE,
  SYMMETRIC_KEY,
  ObjectState,
  STATE_NAMES,
  isDestroyedState,
  type AttributeValue,
  type ManagedObject,
  type NewAttribute,
  type ObjectAttribute,
} from './object-model.js';
import { ObjectRows, toManagedObject, type ObjectRow } from './object-rows.js';
import { ObjectWriter } from './object-writer.js';
import { IV_BYTES, type RecordSealer } from './record-crypto.js';
import { RECOVERED_ATTRIBUTE } from './recovered-objects.js';
import { UNKNOWN_TAPE, isTapeAttribute, tapeFor } from './tape.js';
import { quoteClientValue } from '../util/bounded-text.js';
import type { Ticket } from '../ras/tickets.js';

export interface CreateRequest {
  /** The tape the key is for (barcode or the best identifier the library gave). */
  tape: string;
  drive?: string;
  attributes: NewAttribute[];
}

export interface RegisterRequest {
  material: Buffer;
  attributes: NewAttribute[];
  /** Symmetric Key (the default) or Secret Data. */
  objectType?: number;
  /** The Key Format Type it came in, which Get answers in when none is asked: Raw by default. */
  format?: number;
  /** Secret Data: its Secret Data Type (Password, Seed). */
  secretType?: number;
}

/** A general client's Create: a new key of the algorithm and length its attributes ask for. */
export interface MintRequest {
  attributes: NewAttribute[];
}

export interface ImportedKey {
  name: string;
  material: Buffer;
  attributes: NewAttribute[];
}

export interface ImportOutcome {
  stored: string[];
  /** Names this keystore already held: not stored again. */
  duplicates: string[];
}

export interface RevokeRequest {
  /** KMIP Revocation Reason Code. */
  reason: number;
  message?: string;
  /** When the compromise happened (ms), for a compromise; defaults to now. */
  compromiseOccurrence?: number;
}

/** An object's kind as Get answers it; `spec` is null for Secret Data. */
export interface ObjectKind {
  objectType: number;
  spec: KeySpec | null;
  format: number;
  /** Secret Data only. */
  secretType?: number;
  usageMask: number;
}

/** Which instances Delete Attribute removes: one by index (1.x), those equal to a value, or all (2.x reference). */
export type Instances = { index: number } | { value: AttributeValue } | { all: true };

/** Allocation refusals, with the ticket condition that tells the administrator what to do. */
const REFUSAL_TICKETS: Record<string, (library: string) => string> = {
  NO_KEY_SET: (l) => `no-key-set:${l}`,
  KEYS_PENDING_BACKUP: () => 'backup-needed',
  NEEDS_SYNC: (l) => `sync-needed:${l}`,
  KEYS_EXHAUSTED: (l) => `keys-exhausted:${l}`,
};

/** What an allocation refusal's ticket says, to raise it again after a rollback (its row as stored). */
type RefusalTicket = Pick<Ticket, 'condition' | 'severity' | 'text' | 'kind'> & { params: string | null };

interface Prepared {
  stored: NewAttribute[];
  activationDate: number | null;
}

export class ManagedObjects {
  private readonly rows: ObjectRows;
  private readonly locator: Locator;
  private readonly writer: ObjectWriter;
  private readonly q: Statements;
  /** Nesting of transaction(), and the refusal tickets raised inside the outermost one. */
  private depth = 0;
  private readonly refused: RefusalTicket[] = [];

  constructor(readonly engine: KeyEngine) {
    const db = engine.store.db;
    this.rows = new ObjectRows(db);
    this.locator = new Locator(db, this.rows);
    this.writer = new ObjectWriter(db);
    this.q = statementsOf(db);
  }

  private get db() {
    return this.engine.store.db;
  }

  private now(): number {
    return this.engine.world.now();
  }

  /**
   * Runs `fn` as one transaction (the KMIP layer's batch); nested calls become savepoints.
   * A rollback does not take the ticket of an allocation refusal with it: the
   * administrator must still hear that the library has no usable key, whatever the
   * caller undid (a failed batch item, a batch undone as a whole).
   */
  transaction<T>(fn: () => T): T {
    const mark = this.refused.length;
    this.depth++;
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      this.raiseAgain(this.refused.slice(mark));
      throw e;
    } finally {
      if (--this.depth === 0) this.refused.length = 0;
    }
  }

  /** Opens again, after a rollback, the tickets of the refusals it undid. */
  private raiseAgain(tickets: readonly RefusalTicket[]): void {
    if (tickets.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const t of tickets) {
          this.engine.tickets.open(t.condition, t.severity, t.text, t.kind === null ? undefined : { kind: t.kind, params: JSON.parse(t.params ?? 'null') });
        }
      }).immediate();
    } catch {
      // The keystore itself is failing: the caller's own error says more than this one would.
    }
  }

  /**
   * Create (the Tape Library Profile's write): allocates the next key of the library's
   * set for this tape and makes it an object, Pre-Active, with the client's attributes.
   * A refusal (no set, pending backup, needs sync, exhausted) opens or keeps its ticket
   * and throws the engine's error naming the cause and the ticket.
   */
  create(library: string, req: CreateRequest): ManagedObject {
    const checked = prepare(req.attributes);
    const spec = requestedSpec(req.attributes);
    if (spec.algorithm !== AES || spec.bits !== KEY_BITS) {
      throw new ObjectError('ATTRIBUTE_INVALID', `A tape library's keys are the 256-bit AES keys of its sets; a key of algorithm ${spec.algorithm} and ${spec.bits} bits cannot be handed out.`, { params: { attribute: 'Cryptographic Length' } });
    }
    const prepared = withKind(checked, SYMMETRIC_KEY, spec, KeyFormat.Raw);
    const row = this.transaction((): ObjectRow => {
      let name: string;
      try {
        name = this.engine.allocate({ library, tape: req.tape, ...(req.drive !== undefined && { drive: req.drive }) }).name;
      } catch (e) {
        if (e instanceof KeyEngineError && REFUSAL_TICKETS[e.code]) throw this.refusal(library, e);
        throw e;
      }
      const key = this.q.keyByName.get(name) as { seq: number; library_id: number };
      this.insertObject(key, prepared);
      this.engine.tickets.close(`no-key-set:${library}`);
      return this.journalled(key.seq);
    });
    return toManagedObject(row);
  }

  /**
   * Opens (or keeps) the ticket of an allocation refusal, remembers it so that a rollback
   * raises it again (see transaction), and says which ticket it is in the message.
   */
  private refusal(library: string, e: KeyEngineError): KeyEngineError {
    const condition = REFUSAL_TICKETS[e.code]!(library);
    if (e.code === 'NO_KEY_SET') {
      this.engine.tickets.raise('no-key-set', { library });
    } else if (e.code === 'KEYS_PENDING_BACKUP') {
      this.engine.tickets.raise('backup-needed', { library, waiting: true });
    }
    const ticket = this.q.openTicket.get(condition) as RefusalTicket & { id: number } | undefined;
    if (ticket) this.refused.push({ condition, severity: ticket.severity, text: ticket.text, kind: ticket.kind, params: ticket.params });
    const message = ticket === undefined ? e.message : `${e.message} (ticket ${ticket.id})`;
    return new KeyEngineError(e.code, message, { cause: e, params: ticket === undefined ? e.params : { ...e.params, ticket: ticket.id } });
  }

  /**
   * Register: an object imported for this client, stored as sent (a symmetric key of any
   * length this store keeps, or Secret Data); sealed, never allocated.
   */
  register(owner: string, req: RegisterRequest): ManagedObject {
    const objectType = req.objectType ?? SYMMETRIC_KEY;
    const checked = prepare(req.attributes);
    const spec = objectType === SYMMETRIC_KEY ? requestedSpec(req.attributes, req.material) : null;
    checkMaterial(spec, req.material);
    const prepared = withKind(checked, objectType, spec, req.format ?? (spec === null ? KeyFormat.Opaque : KeyFormat.Raw), req.secretType);
    return this.storeLoose(owner, objectType, req.material, prepared);
  }

  /** A general client's Create: a fresh key of what it asked for, minted here rather than taken from a set. */
  mint(owner: string, req: MintRequest): ManagedObject {
    const checked = prepare(req.attributes);
    const spec = requestedSpec(req.attributes);
    const prepared = withKind(checked, SYMMETRIC_KEY, spec, KeyFormat.Raw);
    const material = mintMaterial(spec, (n) => this.engine.world.randomBytes(n));
    try {
      return this.storeLoose(owner, SYMMETRIC_KEY, material, prepared);
    } finally {
      material.fill(0);
    }
  }

  /**
   * An object that belongs to no set (registered or minted), durable when this returns.
   * No backup holds it yet: the backup-needed ticket says so until one does.
   */
  private storeLoose(owner: string, objectType: number, material: Buffer, prepared: Prepared): ManagedObject {
    checkLibrary(owner);
    const row = this.db.transaction((): ObjectRow => {
      // Same shape as a generated name, with a fresh 64-bit nonce no set uses: unique for the same reasons.
      const name = keyName(this.engine.settings.serial, this.engine.world.randomBytes(8).toString('hex'), 0);
      const seq = this.storeRegistered(owner, name, material, prepared, objectType);
      this.engine.tickets.raise('backup-needed', { library: owner, stored: true });
      return this.journalled(seq);
    }).immediate();
    return toManagedObject(row);
  }

  /**
   * Keys another site sent (its key file), stored for `library` under their own names, since
   * a tape carries only its key's name: readable by the library, never allocated. One
   * transaction for all of them; a name this keystore already holds is left as it is and
   * answered among the duplicates. `settle` runs inside the transaction, before it commits
   * (to open a ticket, or say where the refused ones are listed, with the keys or not at all).
   */
  importKeys(library: string, keys: readonly ImportedKey[], settle?: (r: ImportOutcome) => void): ImportOutcome {
    checkLibrary(library);
    const prepared = keys.map((k) => {
      const spec = requestedSpec(k.attributes, k.material);
      checkMaterial(spec, k.material);
      return withKind(prepare(k.attributes), SYMMETRIC_KEY, spec, KeyFormat.Raw);
    });
    return this.db.transaction((): ImportOutcome => {
      const r: ImportOutcome = { stored: [], duplicates: [] };
      keys.forEach((k, i) => {
        if (this.q.keyByName.get(k.name) !== undefined) {
          r.duplicates.push(k.name);
          return;
        }
        this.journalled(this.storeRegistered(library, k.name, k.material, prepared[i]!));
        r.stored.push(k.name);
      });
      // No backup holds them yet, as with any key from outside.
      if (r.stored.length > 0) this.engine.tickets.raise('backup-needed', { library, stored: true });
      settle?.(r);
      return r;
    }).immediate();
  }

  /** A key from outside, sealed for `library` (made known first: it may hold imported keys before it has a set). */
  private storeRegistered(library: string, name: string, material: Buffer, p: Prepared, objectType = SYMMETRIC_KEY): number {
    // Generation sets the library's real class.
    this.q.addLibrary.run(library, this.now());
    const libraryId = this.rows.libraryIdOf(library)!;
    const sealed = this.sealer.seal({ name, library, origin: 'registered', state: 'unused' }, material, this.engine.world.randomBytes(IV_BYTES));
    const seq = Number(this.q.addRegistered.run(name, libraryId, sealed).lastInsertRowid);
    this.engine.store.countLooseKey();
    this.insertObject({ seq, library_id: libraryId }, p, objectType);
    return seq;
  }

  private insertObject(key: { seq: number; library_id: number }, p: Prepared, objectType = SYMMETRIC_KEY): void {
    const now = this.now();
    const active = p.activationDate !== null && p.activationDate <= now;
    this.writer.insert(key, { objectType, state: active ? ObjectState.Active : ObjectState.PreActive, initialDate: now, activationDate: p.activationDate, attributes: p.stored });
  }

  /**
   * A key's tape (keys.tape) is what its attributes say, as Create records it (tape.ts):
   * the barcode, else the key identifier, else "(unlabelled)". A change to one of those
   * attributes records the tape again, so a recovered key (tape unknown: NULL) gets its
   * tape when the library next sends it. Until a tape attribute arrives a recovered key's
   * tape stays unknown rather than "(unlabelled)", which would claim the library gave none.
   */
  private retape(row: ObjectRow, changed: string): void {
    if (!isTapeAttribute(changed) || row.alloc !== 'allocated') return;
    const tape = tapeFor(this.rows.storedAttributes(row.seq));
    if (tape === UNKNOWN_TAPE && row.tape === null) return;
    if (!TAPE_PATTERN.test(tape)) {
      throw new ObjectError('ATTRIBUTE_INVALID', `Tape ${JSON.stringify(tape)} is not a valid barcode; use 1 to 32 printable characters without spaces.`, { params: { attribute: changed, uid: row.uid } });
    }
    this.q.setTape.run(tape, row.seq);
  }

  /** The object, whatever its state. */
  describe(library: string, uid: string): ManagedObject {
    return toManagedObject(this.require(library, uid));
  }

  /** The key material, for Get; a destroyed object has none. */
  material(library: string, uid: string): Buffer {
    const row = this.rows.findKeyRecord(library, uid);
    if (!row) throw notFound(library, uid);
    if (isDestroyedState(row.state)) {
      throw new ObjectError('OBJECT_DESTROYED', `The key ${uid} was destroyed; its material no longer exists.`, { params: { uid } });
    }
    // The row was found by this name and library, so they are the record's own.
    const material = this.sealer.open({ name: uid, library, origin: row.origin, state: row.alloc }, row.sealed);
    if (!material) throw recordDamaged(uid);
    return material;
  }

  /** What Get needs besides the material: the object's type, algorithm and length, format, and usage mask. */
  kind(library: string, uid: string): ObjectKind {
    const row = this.require(library, uid);
    const stored = this.rows.storedAttributes(row.seq);
    const mask = stored.find((a) => a.name === 'Cryptographic Usage Mask')?.value;
    return { objectType: row.object_type, ...kindOf(row.object_type, stored), usageMask: mask?.type === 'Integer' ? mask.value : DEFAULT_USAGE_MASK };
  }

  /** Every attribute of the object: the derived ones (identity, state, dates) and the stored ones. */
  attributes(library: string, uid: string): ObjectAttribute[] {
    const row = this.require(library, uid);
    // A Secret Data's type is what Get answers with, not an attribute: clients (PyKMIP) choke on it.
    return [...derivedAttributes(toManagedObject(row)), ...this.rows.storedAttributes(row.seq).filter((a) => a.name !== SECRET_TYPE_ATTRIBUTE)];
  }

  addAttribute(library: string, uid: string, attr: NewAttribute): ObjectAttribute {
    if (attr.name === ACTIVATION_DATE) return this.changeActivationDate(library, uid, attr);
    const a = checkAttribute(attr, 'change');
    return this.db.transaction((): ObjectAttribute => {
      const row = this.requireLive(library, uid);
      const existing = this.rows.storedRows(row.seq, a.name);
      if (existing.length > 0 && !isMultiValued(a.name)) {
        throw new ObjectError('ATTRIBUTE_SINGLE_VALUED', `The key ${uid} already has a "${a.name}", which takes one value; modify it instead.`, { params: { attribute: a.name, uid } });
      }
      if ((this.q.countAttributes.get(row.seq) as number) >= MAX_STORED_ATTRIBUTES) {
        throw new ObjectError('ATTRIBUTE_LIMIT', `The key ${uid} already has ${MAX_STORED_ATTRIBUTES} attributes, the most this server keeps for one key.`, { params: { uid, max: MAX_STORED_ATTRIBUTES } });
      }
      const idx = existing.reduce((m, r) => Math.max(m, r.idx + 1), 0);
      this.writer.attribute(row, a.name, idx, a.value);
      this.retape(row, a.name);
      this.touch(row.seq);
      return { name: a.name, index: idx, value: a.value };
    }).immediate();
  }

  /**
   * Modify Attribute: the instance named by `current` (2.x), by index (1.x), or else the
   * first one gets the new value. A custom attribute keeps its type: a value of another type is refused.
   */
  modifyAttribute(library: string, uid: string, attr: NewAttribute, current?: AttributeValue): ObjectAttribute {
    if (attr.name === ACTIVATION_DATE) return this.changeActivationDate(library, uid, attr);
    const a = checkAttribute(attr, 'change');
    return this.db.transaction((): ObjectAttribute => {
      const row = this.requireLive(library, uid);
      const instances = this.rows.storedAttributes(row.seq, a.name);
      const target = current !== undefined
        ? instances.find((i) => sameValue(i.value, current))
        : a.index === undefined ? instances[0] : instances.find((i) => i.index === a.index);
      if (!target) {
        throw new ObjectError('ATTRIBUTE_NOT_FOUND', `The key ${uid} has no such "${a.name}" to modify.`, { params: { attribute: a.name, uid } });
      }
      if (target.value.type !== a.value.type) {
        throw new ObjectError('ATTRIBUTE_INVALID', `"${a.name}" of key ${uid} holds a ${target.value.type}; a ${a.value.type} cannot replace it (delete it and add it again).`, { params: { attribute: a.name, uid } });
      }
      this.q.setAttribute.run(a.value.type, encodeValue(a.value), searchKey(a.name, a.value), row.seq, a.name, target.index);
      this.retape(row, a.name);
      this.touch(row.seq);
      return { name: a.name, index: target.index, value: a.value };
    }).immediate();
  }

  /**
   * The Activation Date may change while the object is Pre-Active only (KMIP: once active,
   * the date is history); a date already past activates it, as one given at creation does.
   */
  private changeActivationDate(library: string, uid: string, attr: NewAttribute): ObjectAttribute {
    if (attr.value.type !== 'DateTime') {
      throw new ObjectError('ATTRIBUTE_INVALID', `The attribute "${ACTIVATION_DATE}" must be a DateTime, not a ${attr.value.type}.`, { params: { attribute: ACTIVATION_DATE } });
    }
    const at = Number(attr.value.value) * 1000;
    this.transition(library, uid, (row, now) => {
      if (row.state !== ObjectState.PreActive) throw wrongState(row, 'given another Activation Date', 'only a Pre-Active key can be');
      return { state: at <= now ? ObjectState.Active : ObjectState.PreActive, activation: at };
    });
    return { name: ACTIVATION_DATE, index: 0, value: attr.value };
  }

  deleteAttribute(library: string, uid: string, name: string, which: Instances): ObjectAttribute[] {
    const rule = ruleFor(name);
    if (rule.access !== 'client') {
      throw new ObjectError('ATTRIBUTE_READ_ONLY', `The attribute ${quoteClientValue(name)} is kept by the server and cannot be deleted.`, { params: { attribute: name } });
    }
    return this.db.transaction((): ObjectAttribute[] => {
      const row = this.requireLive(library, uid);
      const instances = this.rows.storedAttributes(row.seq, name);
      const doomed = 'all' in which ? instances
        : 'value' in which ? instances.filter((i) => sameValue(i.value, which.value))
          : instances.filter((i) => i.index === which.index);
      if (doomed.length === 0) throw new ObjectError('ATTRIBUTE_NOT_FOUND', `The key ${uid} has no such ${quoteClientValue(name)} to delete.`, { params: { attribute: name, uid } });
      for (const d of doomed) this.q.dropAttribute.run(row.seq, name, d.index);
      this.retape(row, name);
      this.touch(row.seq);
      return doomed;
    }).immediate();
  }

  /**
   * Pre-Active to Active. A key recovered by sync is made Active by the server on the
   * library's behalf; the library's own Activate of it (its Create may have come just
   * before the restore) is answered as done, and changes nothing.
   */
  activate(library: string, uid: string): ManagedObject {
    return this.transition(library, uid, (row, now) => {
      if (row.state === ObjectState.Active && this.rows.storedRows(row.seq, RECOVERED_ATTRIBUTE).length > 0) return null;
      if (row.state !== ObjectState.PreActive) throw wrongState(row, 'activated', 'only a Pre-Active key can be');
      return { state: ObjectState.Active, activation: now };
    });
  }

  /**
   * A compromise (key or CA) makes the object Compromised (Destroyed Compromised if it was
   * destroyed); any other reason deactivates a Pre-Active or Active object.
   */
  revoke(library: string, uid: string, req: RevokeRequest): ManagedObject {
    const compromise = req.reason === KEY_COMPROMISE || req.reason === CA_COMPROMISE;
    return this.transition(library, uid, (row, now) => {
      const revocation = { reason: req.reason, message: req.message ?? null };
      if (compromise) {
        if (row.state === ObjectState.Compromised || row.state === ObjectState.DestroyedCompromised) {
          throw wrongState(row, 'revoked as compromised', 'it already is');
        }
        const state = row.state === ObjectState.Destroyed ? ObjectState.DestroyedCompromised : ObjectState.Compromised;
        return { state, compromise: now, occurrence: req.compromiseOccurrence ?? now, revocation };
      }
      if (row.state !== ObjectState.PreActive && row.state !== ObjectState.Active) {
        throw wrongState(row, 'revoked', 'only a Pre-Active or Active key can be');
      }
      return { state: ObjectState.Deactivated, deactivation: now, revocation };
    });
  }

  /**
   * The material is replaced by a tombstone; the record, its tape and its attributes stay
   * (as the KMIP Destroyed state asks), so the check still proves the record and a tape
   * written with the key can be told apart from one with an unknown key.
   */
  destroy(library: string, uid: string): ManagedObject {
    return this.transition(library, uid, (row, now) => {
      if (isDestroyedState(row.state)) throw new ObjectError('OBJECT_DESTROYED', `The key ${uid} is already destroyed.`, { params: { uid } });
      if (row.state === ObjectState.Active) throw wrongState(row, 'destroyed', 'revoke it first: an Active key cannot be');
      const fields = { name: row.uid, library: row.library, origin: row.origin, state: row.alloc };
      this.q.reseal.run(this.sealer.tombstone(fields), row.seq);
      const state = row.state === ObjectState.Compromised ? ObjectState.DestroyedCompromised : ObjectState.Destroyed;
      return { state, destroy: now };
    });
  }

  locate(library: string, query: LocateQuery): string[] {
    return this.locator.locate(library, query);
  }

  /** `decide` answers the change, or null for none (the object is answered as it is). */
  private transition(library: string, uid: string, decide: (row: ObjectRow, now: number) => Change | null): ManagedObject {
    const row = this.db.transaction((): ObjectRow => {
      const current = this.require(library, uid);
      const now = this.now();
      const c = decide(current, now);
      if (c === null) return current;
      this.q.setState.run(
        c.state, c.activation ?? null, c.deactivation ?? null, c.compromise ?? null, c.occurrence ?? null, c.destroy ?? null,
        c.revocation?.reason ?? null, c.revocation?.message ?? null, now, current.seq,
      );
      return this.journalled(current.seq);
    }).immediate();
    return toManagedObject(row);
  }

  private touch(seq: number): void {
    this.q.touch.run(this.now(), seq);
    this.journalled(seq);
  }

  /**
   * Records the object as it now is in the change journal (in the change's transaction)
   * and returns its row. The whole object, not the change: the peer applying an entry
   * twice, or after a later one was lost to a rollback here, ends with the same object.
   */
  private journalled(seq: number): ObjectRow {
    const snapshot = this.rows.snapshot(seq);
    this.engine.journal.record('object', snapshot.uid, snapshot);
    return this.rows.atSeq(seq)!;
  }

  private require(library: string, uid: string): ObjectRow {
    const row = this.rows.find(library, uid);
    if (!row) throw notFound(library, uid);
    return row;
  }

  /** Attributes of a destroyed object are its record; they no longer change. */
  private requireLive(library: string, uid: string): ObjectRow {
    const row = this.require(library, uid);
    if (isDestroyedState(row.state)) throw new ObjectError('OBJECT_DESTROYED', `The key ${uid} is destroyed; its attributes are kept as they were.`, { params: { uid } });
    return row;
  }

  private get sealer(): RecordSealer {
    return this.engine.store.sealer;
  }
}

const ACTIVATION_DATE = 'Activation Date';

interface Change {
  state: number;
  activation?: number;
  deactivation?: number;
  compromise?: number;
  occurrence?: number;
  destroy?: number;
  revocation?: { reason: number; message: string | null };
}

function checkLibrary(library: string): void {
  if (!LIBRARY_NAME_PATTERN.test(library)) {
    throw new KeyEngineError('BAD_LIBRARY', `Library name ${quoteClientValue(library)} is not valid; use 1 to 64 letters, digits, dots, dashes or underscores.`, { params: { library } });
  }
}

function notFound(library: string, uid: string): ObjectError {
  return new ObjectError('OBJECT_NOT_FOUND', `No key ${quoteClientValue(uid)} is known to library ${library}.`, { params: { uid, library } });
}

function wrongState(row: ObjectRow, done: string, rule: string): ObjectError {
  return new ObjectError('WRONG_STATE', `The key ${row.uid} is ${STATE_NAMES[row.state] ?? `in state ${row.state}`} and cannot be ${done}; ${rule} ${done}.`, { params: { uid: row.uid, state: row.state } });
}

/** The prepared attributes with the server's own for this kind of object (its algorithm and length as checked, its format). */
function withKind(p: Prepared, objectType: number, spec: KeySpec | null, format: number, secretType?: number): Prepared {
  const kind = kindAttributes(objectType, spec, format, secretType);
  const set = new Set(kind.map((a) => a.name));
  return { ...p, stored: [...p.stored.filter((a) => !set.has(a.name)), ...kind] };
}

/** Checks a new object's attributes before anything is written; splits off those kept on the object row. */
function prepare(attrs: NewAttribute[]): Prepared {
  const stored: NewAttribute[] = [];
  let activationDate: number | null = null;
  const seen = new Set<string>();
  for (const raw of attrs) {
    const a = checkAttribute(raw, 'create');
    const rule = ruleFor(a.name);
    if (!rule.multi && seen.has(a.name)) {
      throw new ObjectError('ATTRIBUTE_SINGLE_VALUED', `"${a.name}" takes one value and was given more than once.`, { params: { attribute: a.name } });
    }
    seen.add(a.name);
    if (a.name === 'Activation Date' && a.value.type === 'DateTime') activationDate = Number(a.value.value) * 1000;
    if (rule.stored) stored.push(a);
  }
  if (!seen.has('Cryptographic Usage Mask')) {
    stored.push({ name: 'Cryptographic Usage Mask', value: { type: 'Integer', value: DEFAULT_USAGE_MASK } });
  }
  if (stored.length > MAX_STORED_ATTRIBUTES) {
    throw new ObjectError('ATTRIBUTE_LIMIT', `A key may have at most ${MAX_STORED_ATTRIBUTES} attributes; ${stored.length} were given.`, { params: { max: MAX_STORED_ATTRIBUTES } });
  }
  return { stored, activationDate };
}

/** The prepared statements, by name: a misspelt name does not compile. */
function statementsOf(db: Database.Database) {
  return {
    keyByName: db.prepare('SELECT seq, library_id FROM keys WHERE name = ?'),
    setAttribute: db.prepare('UPDATE attributes SET type = ?, value = ?, search = ? WHERE key_seq = ? AND name = ? AND idx = ?'),
    dropAttribute: db.prepare('DELETE FROM attributes WHERE key_seq = ? AND name = ? AND idx = ?'),
    countAttributes: db.prepare('SELECT COUNT(*) FROM attributes WHERE key_seq = ?').pluck(),
    touch: db.prepare('UPDATE objects SET last_change_date = ? WHERE key_seq = ?'),
    setState: db.prepare(
      `UPDATE objects SET state = ?, activation_date = coalesce(?, activation_date), deactivation_date = coalesce(?, deactivation_date),
         compromise_date = coalesce(?, compromise_date), compromise_occurrence_date = coalesce(?, compromise_occurrence_date),
         destroy_date = coalesce(?, destroy_date), revocation_reason = coalesce(?, revocation_reason),
         revocation_message = coalesce(?, revocation_message), last_change_date = ? WHERE key_seq = ?`,
    ),
    reseal: db.prepare('UPDATE keys SET sealed = ? WHERE seq = ?'),
    setTape: db.prepare("UPDATE keys SET tape = ? WHERE seq = ? AND state = 'allocated'"),
    addLibrary: db.prepare("INSERT INTO libraries (name, class, created_at) VALUES (?, 'i500', ?) ON CONFLICT (name) DO NOTHING"),
    addRegistered: db.prepare("INSERT INTO keys (name, library_id, set_id, origin, state, sealed) VALUES (?, ?, NULL, 'registered', 'unused', ?)"),
    openTicket: db.prepare('SELECT id, condition, severity, text, kind, params FROM tickets WHERE condition = ? AND closed_at IS NULL'),
  };
}

type Statements = ReturnType<typeof statementsOf>;
