import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkKeystore } from '../../src/engine/integrity.js';
import { KeyEngine } from '../../src/engine/key-engine.js';
import { DB_FILE, KEYSTORE_LINK, Keystore } from '../../src/engine/keystore.js';
import { MASTER_KEY_FILE } from '../../src/engine/master-key.js';
import { SEALED_BYTES, TOMBSTONE_BYTES } from '../../src/engine/record-crypto.js';
import { SCHEMA_VERSION } from '../../src/engine/schema.js';
import { SETTINGS, removeDir, tempDir, testWorld } from '../helpers/engine.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'keystore-schema2');
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
  serial: string;
  keys: Record<string, { name: string; library: string; origin: string; state: string; material: string }>;
};

let dir: string;
beforeEach(() => {
  dir = tempDir();
  const ks = path.join(dir, 'keystore-schema2');
  mkdirSync(ks, { mode: 0o700 });
  for (const f of [DB_FILE, MASTER_KEY_FILE]) copyFileSync(path.join(FIXTURE, f), path.join(ks, f));
  chmodSync(path.join(ks, MASTER_KEY_FILE), 0o600); // git keeps no file modes but the executable bit
  symlinkSync('keystore-schema2', path.join(dir, KEYSTORE_LINK));
});
afterEach(() => removeDir(dir));

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
});
