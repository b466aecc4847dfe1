/**
 * Keystore schema migrations. Index i migrates version i to i+1; PRAGMA user_version
 * records where a keystore stands. Never edit a shipped migration: add one.
 */
export const MIGRATIONS: readonly string[] = [
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
    -- AES-256-GCM sealed material; the tag authenticates name, library, origin and state
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
];

export const SCHEMA_VERSION = MIGRATIONS.length;
