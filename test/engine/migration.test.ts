import Database from 'better-sqlite3';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkKeystore } from '../../src/engine/integrity.js';
import { KeyEngine } from '../../src/engine/key-engine.js';
import { DB_FILE, KEYSTORE_LINK, Keystore } from '../../src/engine/keystore.js';
import { MASTER_KEY_FILE } from '../../src/engine/master-key.js';
import { SEALED_BYTES, TOMBSTONE_BYTES } from '../../src/engine/record-crypto.js';
import { SCHEMA_VERSION } from '../../src/engine/schema.js';
import { SETTINGS, removeDir, tempDir, testWorld } from '../helpers/engine.js';
import { ENGINE_WORKER, runWorker } from '../helpers/worker.js';
import { qkmcmds } from '../helpers/cli.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'keystore-schema2');
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
  serial: string;
  keys: Record<string, { name: string; library: string; origin: string; state: string; material: string }>;
};

let dir: string;
beforeEach(() => {
  dir = tempDir();
  copyFixture(dir);
});
afterEach(() => removeDir(dir));

function copyFixture(dataDir: string): void {
  const ks = path.join(dataDir, 'keystore-schema2');
  mkdirSync(ks, { mode: 0o700 });
  for (const f of [DB_FILE, MASTER_KEY_FILE]) copyFileSync(path.join(FIXTURE, f), path.join(ks, f));
  chmodSync(path.join(ks, MASTER_KEY_FILE), 0o600); // git keeps no file modes but the executable bit
  symlinkSync('keystore-schema2', path.join(dataDir, KEYSTORE_LINK));
}

/**
 * Adds `count` keys to the schema-2 fixture the way qkm up to schema 2 sealed them
 * (AES-256-GCM, associated data = the length-prefixed fields), written here from that
 * format's description rather than with the migration's own code. Returns their material.
 */
function addLegacyKeys(dataDir: string, count: number): Map<string, Buffer> {
  const master = readFileSync(path.join(dataDir, KEYSTORE_LINK, MASTER_KEY_FILE));
  const wrapKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'qkm key wrap v1', 32));
  const db = new Database(path.join(dataDir, KEYSTORE_LINK, DB_FILE));
  const materials = new Map<string, Buffer>();
  db.transaction(() => {
    const lib = Number(db.prepare("INSERT INTO libraries (name, class, local_total, created_at) VALUES ('BULK', 'i2000', ?, 0)").run(count).lastInsertRowid);
    const set = Number(db.prepare("INSERT INTO key_sets (library_id, origin, class, size, nonce, created_at, backed_up_at) VALUES (?, 'local', 'i2000', ?, 'feedfacecafebeef', 0, 0)").run(lib, count).lastInsertRowid);
    const add = db.prepare("INSERT INTO keys (name, library_id, set_id, origin, state, sealed) VALUES (?, ?, ?, 'local', 'unused', ?)");
    for (let i = 0; i < count; i++) {
      const name = `${expected.serial}-feedfacecafebeef-${String(i).padStart(6, '0')}`;
      const material = randomBytes(32);
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', wrapKey, iv);
      c.setAAD(Buffer.concat([name, 'BULK', 'local', 'unused'].flatMap((x) => [Buffer.from([0, x.length]), Buffer.from(x)])));
      const body = c.update(material);
      c.final();
      add.run(name, lib, set, Buffer.concat([iv, body, c.getAuthTag()]));
      materials.set(name, material);
    }
  })();
  db.close();
  return materials;
}

function open(): KeyEngine {
  const world = testWorld();
  return new KeyEngine(Keystore.open(dir, world), { ...SETTINGS, serial: expected.serial, requireBackup: false }, world);
}

function damageRecord(name: string): void {
  const db = new Database(path.join(dir, KEYSTORE_LINK, DB_FILE));
  const sealed = db.prepare('SELECT sealed FROM keys WHERE name = ?').pluck().get(name) as Buffer;
  sealed[20]! ^= 0x04;
  db.prepare('UPDATE keys SET sealed = ? WHERE name = ?').run(sealed, name);
  db.close();
}

describe('schema migration 3: AES-GCM records re-sealed encrypt-then-MAC', () => {
  it('upgrades a keystore written by the previous qkm with every key reading as before', async () => {
    const engine = open();
    try {
      expect(engine.store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const records = engine.store.db.prepare('SELECT name, state, length(sealed) AS n FROM keys').all() as { name: string; state: string; n: number }[];
      expect(records).toHaveLength(Object.keys(expected.keys).length);
      for (const r of records) {
        const want = expected.keys[r.name]!;
        expect(r.state).toBe(want.state);
        if (want.material === 'KEY_DESTROYED') {
          expect(r.n).toBe(TOMBSTONE_BYTES);
          expect(() => engine.lookup(r.name)).toThrow(expect.objectContaining({ code: 'KEY_DESTROYED' }));
        } else {
          expect(r.n).toBe(SEALED_BYTES);
          expect(engine.lookup(r.name)).toMatchObject({ library: want.library, origin: want.origin, material: Buffer.from(want.material, 'hex') });
        }
      }
      expect((await checkKeystore(engine.store)).problems).toEqual([]);
      // And it goes on working: the next allocation takes the next unused key of LIBA.
      expect(engine.allocate({ library: 'LIBA', tape: 'TAPE04L6' }).name).toMatch(/-000003$/);
    } finally {
      engine.store.close();
    }
  });

  it('leaves a record that does not open as it was, for the check to name', async () => {
    const victim = Object.values(expected.keys).find((k) => k.library === 'LIBB' && k.origin === 'local')!.name;
    damageRecord(victim);
    const engine = open();
    try {
      const { problems } = await checkKeystore(engine.store);
      expect(problems).toEqual([{ subject: victim, problem: 'record altered or damaged (its MAC does not match)' }]);
      expect(() => engine.lookup(victim)).toThrow(expect.objectContaining({ code: 'KEY_RECORD_DAMAGED' }));
      const other = Object.values(expected.keys).find((k) => k.library === 'LIBB' && k.name !== victim && k.material !== 'KEY_DESTROYED')!;
      expect(engine.lookup(other.name).material).toEqual(Buffer.from(other.material, 'hex'));
    } finally {
      engine.store.close();
    }
  });

  it('survives SIGKILL at any moment of the re-sealing: afterwards every key reads as it did', async () => {
    const materials = addLegacyKeys(dir, 10_000);
    const runs: string[] = [];
    for (let round = 0; round < 5; round++) {
      const data = tempDir();
      try {
        cpSync(dir, data, { recursive: true, verbatimSymlinks: true });
        const run = await runWorker(ENGINE_WORKER, [data, 'migrate'], Math.floor(Math.random() * 600));
        runs.push(run.lines.includes('MIGRATED') ? 'finished' : `killed (${run.signal})`);
        const world = testWorld();
        const engine = new KeyEngine(Keystore.open(data, world), { ...SETTINGS, serial: expected.serial, requireBackup: false }, world);
        try {
          expect(engine.store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
          for (const [name, material] of materials) expect(engine.lookup(name).material.equals(material)).toBe(true);
          expect((await checkKeystore(engine.store)).problems).toEqual([]);
        } finally {
          engine.store.close();
        }
      } finally {
        removeDir(data);
      }
    }
    // The kills must have landed mid-migration at least once, or this test proved nothing.
    expect(runs.filter((r) => r.startsWith('killed')).length).toBeGreaterThan(0);
  }, 120_000);

  it('says once, on stderr, that it is upgrading, and the command\'s own output is unchanged', () => {
    const env = { QKM_SERVER_SERIAL: expected.serial };
    const first = qkmcmds(['--data-dir', dir, 'keys', 'status'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(new RegExp(`^Upgrading the keystore from schema version 2 to ${SCHEMA_VERSION} \\(\\d+ keys`));
    const second = qkmcmds(['--data-dir', dir, 'keys', 'status'], env);
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout).toMatch(/LIBA/);
  });
});

describe('schema migration 5: tickets keep their kind and parameters', () => {
  // What qkm before schema 5 stored: finished text only, worded for the terminal.
  const OLD_TEXT = 'Library LIBA has used 40 of its 50 keys on this server (80 % or more); generate a new set with "qkmcmds keys generate --library LIBA --class i500", then take a backup.';

  it('a ticket stored by older code keeps its text; one raised now stores its kind and parameters and the terminal words it', () => {
    const db = new Database(path.join(dir, KEYSTORE_LINK, DB_FILE));
    db.prepare("INSERT INTO tickets (condition, severity, text, opened_at) VALUES ('keys-depleted:LIBA', 'warning', ?, 0)").run(OLD_TEXT);
    db.close();
    const engine = open();
    try {
      expect(engine.tickets.raise('sync-needed', { library: 'LIBA' })).toBe(true);
      expect(engine.tickets.list().map((t) => [t.condition, t.kind, t.params])).toEqual([
        ['keys-depleted:LIBA', null, null],
        ['sync-needed:LIBA', 'sync-needed', { library: 'LIBA' }],
      ]);
    } finally {
      engine.store.close();
    }
    const r = qkmcmds(['--data-dir', dir, 'tickets'], { QKM_SERVER_SERIAL: expected.serial });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('    '))).toEqual([
      `    ${OLD_TEXT}`,
      '    The keystore was restored from a backup; library LIBA gets no new keys until it is synchronised: run "qkmcmds sync --from-peer" on a server of a pair (qkmd does it by itself at start when its peer answers), else "qkmcmds sync --last-key NAME" with the name of the last key the library used ("--none-used LIBA" if it shows none).',
    ]);
  });
});
