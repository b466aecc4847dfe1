import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { KEY_NAME_PATTERN } from '../../src/engine/names.js';
import { SCHEMA_VERSION } from '../../src/engine/schema.js';
import { checkKeystore } from '../../src/engine/integrity.js';
import { terminalSentence, terminalTicket } from '../../src/cli/words.js';
import { QkmError } from '../../src/errors.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

/** The error `fn` throws: what each front end words. */
function thrown(fn: () => unknown): QkmError {
  try {
    fn();
  } catch (e) {
    if (e instanceof QkmError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

let dir: string;
let engine: KeyEngine;
beforeEach(() => {
  dir = tempDir();
  engine = openEngine(dir, { requireBackup: false });
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
});

describe('key sets', () => {
  it('generates a whole set of distinct, well-formed names', async () => {
    const r = engine.generate('LIB1', 'i500');
    expect(r.generated).toBe(true);
    const names = engine.store.db.prepare('SELECT name FROM keys').pluck().all() as string[];
    expect(names).toHaveLength(64);
    expect(new Set(names).size).toBe(64);
    for (const n of names) expect(n).toMatch(KEY_NAME_PATTERN);
    expect(engine.status()).toMatchObject([{ library: 'LIB1', class: 'i500', total: 64, used: 0, unused: 64 }]);
  });

  it('answers that there are enough keys until 80 % of them are used', async () => {
    engine.generate('LIB1', 'i500');
    const again = engine.generate('LIB1', 'i500');
    expect(again).toEqual({ generated: false, library: 'LIB1', unused: 64, needed: 13 });
    for (let i = 0; i < 51; i++) engine.allocate({ library: 'LIB1', tape: `T${i}` });
    expect(engine.generate('LIB1', 'i500').generated).toBe(false); // 13 unused, 13 needed
    engine.allocate({ library: 'LIB1', tape: 'T51' });
    expect(engine.generate('LIB1', 'i500').generated).toBe(true); // 12 unused
    expect(engine.status()[0]).toMatchObject({ total: 128, used: 52 });
  });

  it("generating for one library never touches another's keys", async () => {
    engine.generate('LIB1', 'i500');
    const before = engine.store.db.prepare('SELECT * FROM keys ORDER BY seq').all();
    engine.generate('LIB2', 'i2000');
    const lib1After = engine.store.db.prepare("SELECT k.* FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = 'LIB1' ORDER BY seq").all();
    expect(lib1After).toEqual(before);
    expect(engine.status().map((s) => [s.library, s.total])).toEqual([['LIB1', 64], ['LIB2', 256]]);
  });

  it('refuses a bad library name or class with one sentence', async () => {
    expect(() => engine.generate('', 'i500')).toThrow(/Library name "" is not valid; use/);
    expect(() => engine.generate('LIB1', 'i9000' as never)).toThrow(/class "i9000" is unknown; use one of i500, i2000\./);
    expect(engine.status()).toEqual([]);
  });
});

describe('allocation', () => {
  it('hands out keys in order, one per tape, and lookup returns the same material', async () => {
    engine.generate('LIB1', 'i500');
    const a = engine.allocate({ library: 'LIB1', tape: 'ABC001L4', drive: 'DRV1' });
    const b = engine.allocate({ library: 'LIB1', tape: 'ABC002L4' });
    expect(a.name).not.toBe(b.name);
    expect(a.material).toHaveLength(32);
    expect(a.material.equals(b.material)).toBe(false);
    const got = engine.lookup(a.name);
    expect(got).toMatchObject({ name: a.name, library: 'LIB1', state: 'allocated', tape: 'ABC001L4', drive: 'DRV1' });
    expect(got.material.equals(a.material)).toBe(true);
  });

  it('refuses a library with no set, and says what to do', async () => {
    const e = thrown(() => engine.allocate({ library: 'NOPE', tape: 'T1' }));
    expect(e.message).toMatch(/^Library NOPE has no key set on this server; generate one for it/);
    expect(terminalSentence(e)).toMatch(/Library NOPE has no key set on this server; generate one with "qkmcmds keys generate --library NOPE/);
  });

  it('opens the 80 % ticket once and the exhausted ticket when none are left', async () => {
    engine.generate('LIB1', 'i500');
    for (let i = 0; i < 51; i++) engine.allocate({ library: 'LIB1', tape: `T${i}` });
    expect(engine.tickets.list({ openOnly: true })).toEqual([]);
    engine.allocate({ library: 'LIB1', tape: 'T51' });
    const open = engine.tickets.list({ openOnly: true });
    expect(open.map((t) => t.condition)).toEqual(['keys-depleted:LIB1']);
    expect(terminalTicket(open[0]!).text).toMatch(/qkmcmds keys generate --library LIB1 --class i500/);
    for (let i = 52; i < 64; i++) engine.allocate({ library: 'LIB1', tape: `T${i}` });
    expect(engine.tickets.list({ openOnly: true }).map((t) => t.condition)).toEqual(['keys-depleted:LIB1', 'keys-exhausted:LIB1']);
    expect(() => engine.allocate({ library: 'LIB1', tape: 'T64' })).toThrow(/no unused keys left/);
    engine.generate('LIB1', 'i500');
    const all = engine.tickets.list();
    expect(all.filter((t) => t.open)).toEqual([]);
    expect(all.every((t) => t.closedAt !== null)).toBe(true);
  });

  it('a freshly generated set waits for a backup when the rule is enforced', async () => {
    engine.store.close();
    removeDir(dir);
    dir = tempDir();
    engine = openEngine(dir, { requireBackup: true });
    engine.generate('LIB1', 'i500');
    expect(terminalSentence(thrown(() => engine.allocate({ library: 'LIB1', tape: 'T1' })))).toMatch(/not in any backup yet; run "qkmcmds backup"/);
    expect(engine.tickets.list({ openOnly: true }).map((t) => t.condition)).toEqual(['backup-needed']);
    expect(engine.status()[0]).toMatchObject({ pendingBackup: 64 });
    const sets = engine.store.db.prepare('SELECT id FROM key_sets').pluck().all() as number[];
    engine.markBackedUp(sets, Date.now());
    expect(engine.allocate({ library: 'LIB1', tape: 'T1' }).name).toMatch(KEY_NAME_PATTERN);
    expect(engine.tickets.list({ openOnly: true })).toEqual([]);
  });
});

describe('sync after restore', () => {
  it('marks every key up to the last used one as used, and allocation resumes after it', async () => {
    engine.generate('LIB1', 'i500');
    const used = [0, 1, 2].map((i) => engine.allocate({ library: 'LIB1', tape: `T${i}` }).name);
    engine.store.db.prepare("UPDATE libraries SET needs_sync = 1").run();
    expect(() => engine.allocate({ library: 'LIB1', tape: 'X' })).toThrow(/must be synchronised/);
    const names = engine.store.db.prepare('SELECT name FROM keys ORDER BY seq').pluck().all() as string[];
    expect(engine.sync(names[5]!)).toEqual({ library: 'LIB1', recovered: 3 });
    expect(engine.allocate({ library: 'LIB1', tape: 'X' }).name).toBe(names[6]);
    expect(used).toEqual(names.slice(0, 3));
    expect((await checkKeystore(engine.store)).problems).toEqual([]);
  });
});

describe('check', () => {
  it('finds a flipped byte in a stored record and names the key', async () => {
    engine.generate('LIB1', 'i500');
    const victim = engine.store.db.prepare('SELECT name, sealed FROM keys LIMIT 1 OFFSET 7').get() as { name: string; sealed: Buffer };
    const flipped = Buffer.from(victim.sealed);
    flipped[20]! ^= 0x01;
    engine.store.db.prepare('UPDATE keys SET sealed = ? WHERE name = ?').run(flipped, victim.name);
    const report = (await checkKeystore(engine.store));
    expect(report.keysChecked).toBe(64);
    expect(report.problems).toEqual([{ subject: victim.name, problem: 'record altered or damaged (its MAC does not match)' }]);
    expect(() => engine.lookup(victim.name)).toThrow(/fails its integrity check/);
  });

  it('finds an edited state (a used key made to look unused)', async () => {
    engine.generate('LIB1', 'i500');
    const a = engine.allocate({ library: 'LIB1', tape: 'T1' });
    engine.store.db.prepare("UPDATE keys SET state = 'unused' WHERE name = ?").run(a.name);
    const subjects = (await checkKeystore(engine.store)).problems.map((p) => p.subject);
    expect(subjects).toContain(a.name);
    expect(subjects).toContain('library LIB1');
  });
});

describe('the keystore on disk', () => {
  it('keeps the master key owner-only beside the database, and refuses one readable by others', async () => {
    const { statSync, chmodSync } = await import('node:fs');
    const path = await import('node:path');
    const key = path.join(engine.store.dir, 'master.key');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(engine.store.dir, 'keystore.db')).mode & 0o077).toBe(0);
    engine.store.close();
    chmodSync(key, 0o644);
    expect(() => openEngine(dir)).toThrow(/master key .* is readable by others \(mode 644\); run chmod 600 on it\./);
    chmodSync(key, 0o600);
    engine = openEngine(dir, { requireBackup: false });
  });

  it('refuses a keystore written by newer software that this one cannot use, and leaves it untouched', async () => {
    const path = await import('node:path');
    const { readFileSync } = await import('node:fs');
    engine.generate('LIB1', 'i500');
    engine.store.db.pragma('user_version = 99');
    // Newer software whose schema change older code could not follow says so in readable_from.
    engine.store.setMeta('readable_from', '99');
    engine.store.close();
    const file = path.join(dir, 'keystore', 'keystore.db');
    const before = readFileSync(file);
    expect(() => openEngine(dir)).toThrow(/has schema version 99, newer than this qkm understands \(\d+\); install the newer qkm software it came from\./);
    expect(readFileSync(file).equals(before)).toBe(true);
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION}`);
    raw.close();
    engine = openEngine(dir, { requireBackup: false });
    expect(engine.status()[0]!.total).toBe(64);
  });

  it('opens, as it is, a keystore newer software left readable from this schema (a rollback)', () => {
    engine.generate('LIB1', 'i500');
    engine.store.db.pragma('user_version = 99');
    expect(engine.store.meta('readable_from')).toBe(String(SCHEMA_VERSION));
    engine.store.close();
    engine = openEngine(dir, { requireBackup: false });
    expect(engine.status()[0]!.total).toBe(64);
    expect(engine.store.db.pragma('user_version', { simple: true })).toBe(99);
  });
});
