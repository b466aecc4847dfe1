import type Database from 'better-sqlite3';
import type { MasterKeys } from './master-key.js';
import { resealRecords } from './migrate-records.js';
import { recoverSyncedKeys } from './migrate-synced.js';
import type { World } from './world.js';

/** SQL, or a step that needs the keystore's keys (re-sealing records) and the world (randomness, the time). */
export type Migration = string | ((db: Database.Database, keys: MasterKeys, world: World) => void);

/**
 * Keystore schema migrations. Index i migrates version i to i+1; PRAGMA user_version
 * records where a keystore stands. Never edit a shipped migration: add one.
 */
export const MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE libraries (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    class TEXT NOT NULL,
    -- after a restore a library must tell us its last key before we allocate again
    needs_sync INTEGER NOT NULL DEFAULT 0,
    -- counters kept in the same transactions as the keys, so depletion is O(1); check recounts them
    local_total INTEGER NOT NULL DEFAULT 0,
    local_used INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE key_sets (
    id INTEGER PRIMARY KEY,
    library_id INTEGER NOT NULL REFERENCES libraries(id),
    origin TEXT NOT NULL CHECK (origin IN ('local', 'peer')),
    class TEXT NOT NULL,
    size INTEGER NOT NULL,
    nonce TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    backed_up_at INTEGER
  );

  CREATE TABLE keys (
    seq INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    library_id INTEGER NOT NULL REFERENCES libraries(id),
    set_id INTEGER NOT NULL REFERENCES key_sets(id),
    origin TEXT NOT NULL CHECK (origin IN ('local', 'peer')),
    state TEXT NOT NULL CHECK (state IN ('unused', 'allocated', 'skipped')),
    -- sealed material (AES-256-GCM up to version 2, see migration 3); the tag authenticates name, library, origin and state
    sealed BLOB NOT NULL,
    tape TEXT,
    drive TEXT,
    allocated_at INTEGER
  );
  -- the next key to hand out is the first entry of this index for the library
  CREATE INDEX keys_next_unused ON keys(library_id, seq) WHERE state = 'unused' AND origin = 'local';
  CREATE INDEX keys_by_tape ON keys(tape) WHERE tape IS NOT NULL;

  CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    condition TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),
    text TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER
  );
  -- one open ticket per condition; history keeps the closed ones
  CREATE UNIQUE INDEX tickets_one_open ON tickets(condition) WHERE closed_at IS NULL;
  `,
  // 2: KMIP managed objects. Every key a library has been given (allocated) or has
  // imported (registered) is a KMIP object with a lifecycle state, dates and typed
  // attributes. `keys` is rebuilt (SQLite cannot alter a CHECK) so that a registered key,
  // which belongs to no set, can live beside the generated ones and be read by lookup().
  `
  CREATE TABLE keys_v2 (
    seq INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    library_id INTEGER NOT NULL REFERENCES libraries(id),
    -- NULL only for registered keys: they come from outside and belong to no set
    set_id INTEGER REFERENCES key_sets(id),
    origin TEXT NOT NULL CHECK (origin IN ('local', 'peer', 'registered')),
    -- allocation state; a registered key stays 'unused' and is never allocated (allocation takes origin 'local' only)
    state TEXT NOT NULL CHECK (state IN ('unused', 'allocated', 'skipped')),
    -- AES-256-GCM sealed material, or a tombstone (tag only) once the KMIP object is destroyed
    sealed BLOB NOT NULL,
    tape TEXT,
    drive TEXT,
    allocated_at INTEGER,
    CHECK ((origin = 'registered') = (set_id IS NULL))
  );
  INSERT INTO keys_v2 (seq, name, library_id, set_id, origin, state, sealed, tape, drive, allocated_at)
    SELECT seq, name, library_id, set_id, origin, state, sealed, tape, drive, allocated_at FROM keys;
  DROP TABLE keys;
  ALTER TABLE keys_v2 RENAME TO keys;
  CREATE INDEX keys_next_unused ON keys(library_id, seq) WHERE state = 'unused' AND origin = 'local';
  CREATE INDEX keys_by_tape ON keys(tape) WHERE tape IS NOT NULL;

  -- The KMIP side of a key: lifecycle state and dates, kept apart from the allocation
  -- state that the record seal covers (a KMIP state change must not re-seal material).
  -- Times are milliseconds since the epoch, as everywhere in the engine.
  CREATE TABLE objects (
    key_seq INTEGER PRIMARY KEY REFERENCES keys(seq),
    -- the owner, repeated from keys so that every Locate index starts with the caller's library
    library_id INTEGER NOT NULL REFERENCES libraries(id),
    object_type INTEGER NOT NULL,
    -- KMIP State enumeration: 1 Pre-Active ... 6 Destroyed Compromised
    state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 6),
    initial_date INTEGER NOT NULL,
    activation_date INTEGER,
    deactivation_date INTEGER,
    destroy_date INTEGER,
    compromise_occurrence_date INTEGER,
    compromise_date INTEGER,
    revocation_reason INTEGER,
    revocation_message TEXT,
    last_change_date INTEGER NOT NULL
  );
  CREATE INDEX objects_by_state ON objects(library_id, state, key_seq);
  CREATE INDEX objects_by_type ON objects(library_id, object_type, key_seq);

  -- Attributes a client (or the tape profile) gave an object, typed as they came:
  -- type is the TTLV item type, value its canonical text (see attribute-codec.ts).
  -- search, for structures, is the field Locate matches on (Name Value, namespace and
  -- data, ...); primitives are matched on value itself.
  CREATE TABLE attributes (
    id INTEGER PRIMARY KEY,
    key_seq INTEGER NOT NULL REFERENCES objects(key_seq),
    library_id INTEGER NOT NULL REFERENCES libraries(id),
    name TEXT NOT NULL,
    idx INTEGER NOT NULL,
    type TEXT NOT NULL,
    value TEXT NOT NULL,
    search TEXT,
    UNIQUE (key_seq, name, idx)
  );
  -- Locate by any stored attribute is one range of this index, already in key order.
  CREATE INDEX attributes_locate ON attributes(library_id, name, type, coalesce(search, value), key_seq);
  `,
  // 3: key records sealed encrypt-then-MAC (AES-256-CTR + HMAC-SHA256) instead of AES-GCM,
  // so that the check verifies a million records in seconds; see record-crypto.ts.
  resealRecords,
  // 4: keys a library was given after the last backup, which sync up to this version
  // marked 'skipped' without making them the library's KMIP objects (its tapes could not
  // be read), become its recovered objects, as sync now makes them; see migrate-synced.ts.
  recoverSyncedKeys,
  // 5: a ticket's kind and parameters (JSON), from which each front end words it (the
  // terminal names its commands, a web page would not). Tickets stored before keep NULL
  // here and are shown with the text they were stored with.
  `
  ALTER TABLE tickets ADD COLUMN kind TEXT;
  ALTER TABLE tickets ADD COLUMN params TEXT;
  `,
  // 6: the change journal the peer servers of a pair replay, and what each peer holds
  // (see journal.ts). AUTOINCREMENT: a sequence number trimmed away is never given again.
  `
  CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('set', 'allocation', 'object', 'sync', 'withdraw')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE TABLE peers (
    name TEXT PRIMARY KEY,
    -- the highest entry of ours the peer holds: ours are trimmed behind the lowest of these
    acked_seq INTEGER NOT NULL DEFAULT 0,
    acked_at INTEGER,
    -- the highest entry of the peer's journal this keystore holds
    applied_seq INTEGER NOT NULL DEFAULT 0,
    added_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  -- A set generated while this server has peers is usable only once every peer holds its
  -- copy (its journal entry acknowledged); NULL until then. Sets made before stay usable.
  ALTER TABLE key_sets ADD COLUMN replicated_at INTEGER;
  UPDATE key_sets SET replicated_at = created_at;
  `,
  // 7: each object keeps its own algorithm, length and the format it came in (a general
  // client's keys are AES-128, -192, -256 or Triple-DES, or Secret Data; see key-kinds.ts).
  // Every object before this was a library's AES-256 key in Raw format.
  `
  INSERT OR IGNORE INTO attributes (key_seq, library_id, name, idx, type, value, search)
    SELECT key_seq, library_id, 'Cryptographic Algorithm', 0, 'Enumeration', '3', NULL FROM objects WHERE object_type = 2;
  INSERT OR IGNORE INTO attributes (key_seq, library_id, name, idx, type, value, search)
    SELECT key_seq, library_id, 'Cryptographic Length', 0, 'Integer', '256', NULL FROM objects WHERE object_type = 2;
  INSERT OR IGNORE INTO attributes (key_seq, library_id, name, idx, type, value, search)
    SELECT key_seq, library_id, 'Key Format Type', 0, 'Enumeration', '1', NULL FROM objects WHERE object_type = 2;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The oldest schema version whose software may still open a keystore this software
 * leaves, kept in the keystore's meta as `readable_from`. It is what lets a rollback (or a
 * trial the launcher gives up on) run the previous version on the live keystore, with
 * every key and allocation the newer one made, instead of an old copy. A migration that
 * only adds what older code does not look at (a table, a nullable column or one with a
 * default, an index) leaves it where it was; any other raises it to SCHEMA_VERSION, and
 * the release's manifest says so (keystoreSchema.readableFrom), which keeps it from being
 * installed over a version that could not come back. Older code writing such a keystore
 * leaves the added columns NULL: the newer code must take NULL there as "written by an
 * older version".
 */
// 7: a general client's keys are records of other lengths (16 to 4,096 bytes) that schema-6
// software would read as damaged AES-256 keys, so it must not open a keystore from 7 on.
export const READABLE_FROM = 7;
