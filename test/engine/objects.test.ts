import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyEngineError } from '../../src/errors.js';
import { checkKeystore } from '../../src/engine/integrity.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { FieldTag, ObjectState, type NewAttribute } from '../../src/engine/object-model.js';
import { ManagedObjects } from '../../src/engine/objects.js';
import { TOMBSTONE_BYTES } from '../../src/engine/record-crypto.js';
import { MIGRATIONS } from '../../src/engine/schema.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
let engine: KeyEngine;
let objects: ManagedObjects;

const asi = (data: string, ns = 'LIBRARY-LTO'): NewAttribute => ({
  name: 'Application Specific Information',
  value: { type: 'Structure', value: [
    { tag: FieldTag.ApplicationNamespace, type: 'TextString', value: ns },
    { tag: FieldTag.ApplicationData, type: 'TextString', value: data },
  ] },
});
const text = (name: string, value: string): NewAttribute => ({ name, value: { type: 'TextString', value } });

beforeEach(() => {
  dir = tempDir();
  engine = openEngine(dir, { requireBackup: false });
  objects = new ManagedObjects(engine);
  engine.generate('LIB1', 'i500');
  engine.generate('LIB2', 'i500');
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
});

describe('create: the next key of the set becomes a Pre-Active object', () => {
  it('allocates, never mints, and names the object by its key name', async () => {
    const first = engine.store.db.prepare("SELECT k.name FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = 'LIB1' ORDER BY seq LIMIT 1").pluck().get();
    const o = objects.create('LIB1', { tape: 'A00001L8', attributes: [asi('0123ABCD')] });
    expect(o.uid).toBe(first);
    expect(o.state).toBe(ObjectState.PreActive);
    expect(o.tape).toBe('A00001L8');
    expect(engine.lookup(o.uid)).toMatchObject({ state: 'allocated', tape: 'A00001L8' });
    expect(engine.status()[0]).toMatchObject({ library: 'LIB1', used: 1 });
    expect(engine.store.db.prepare('SELECT COUNT(*) FROM keys').pluck().get()).toBe(128);
  });

  it('refuses a library with no set, naming the cause and the ticket, and allocates nothing', async () => {
    let err: unknown;
    try { objects.create('LIB9', { tape: 'T1', attributes: [] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(KeyEngineError);
    expect((err as KeyEngineError).code).toBe('NO_KEY_SET');
    const ticket = engine.tickets.list({ openOnly: true }).find((t) => t.condition === 'no-key-set:LIB9');
    expect(ticket).toBeDefined();
    expect((err as Error).message).toContain(`(ticket ${ticket!.id})`);
  });

  it('a caller that rolls back its transaction undoes its work but not the ticket of a refusal inside it', async () => {
    const undo = new Error('the caller undoes everything');
    expect(() => objects.transaction(() => {
      objects.create('LIB1', { tape: 'T1', attributes: [] });
      // A savepoint of the caller's own, rolled back too: the ticket survives both.
      objects.transaction(() => {
        try { objects.create('LIB9', { tape: 'T2', attributes: [] }); } catch { /* refused, as expected */ }
        throw undo;
      });
    })).toThrow(undo);
    expect(engine.status().find((s) => s.library === 'LIB1')!.used).toBe(0);
    const open = engine.tickets.list({ openOnly: true }).filter((t) => t.condition === 'no-key-set:LIB9');
    expect(open).toHaveLength(1);
    expect(open[0]!.text).toContain('has no key set on this server');
  });

  it('refuses keys still pending backup, with the backup ticket', async () => {
    const d = tempDir();
    const e2 = openEngine(d, { requireBackup: true });
    try {
      e2.generate('LIB1', 'i500');
      const o2 = new ManagedObjects(e2);
      expect(() => o2.create('LIB1', { tape: 'T1', attributes: [] })).toThrow(/not in any backup yet.*\(ticket \d+\)/);
      expect(e2.status()[0]!.used).toBe(0);
    } finally {
      e2.store.close();
      removeDir(d);
    }
  });

  it('a wrong-typed attribute refuses the create before any key is allocated', async () => {
    const bad: NewAttribute = { name: 'Cryptographic Length', value: { type: 'TextString', value: '256' } };
    expect(() => objects.create('LIB1', { tape: 'T1', attributes: [bad] })).toThrow(expect.objectContaining({ code: 'ATTRIBUTE_INVALID' }));
    expect(() => objects.create('LIB1', { tape: 'T1', attributes: [{ name: 'State', value: { type: 'Enumeration', value: 2 } }] }))
      .toThrow(expect.objectContaining({ code: 'ATTRIBUTE_READ_ONLY' }));
    expect(() => objects.create('LIB1', { tape: 'T1', attributes: [text('Lease Time', 'x')] })).toThrow(expect.objectContaining({ code: 'ATTRIBUTE_UNSUPPORTED' }));
    expect(engine.status()[0]!.used).toBe(0);
    expect(engine.store.db.prepare('SELECT COUNT(*) FROM objects').pluck().get()).toBe(0);
  });
});

describe('attributes', () => {
  it('keeps 30 custom attributes of 255+ characters, typed, unchanged', async () => {
    const long = 'v'.repeat(300);
    const custom: NewAttribute[] = [];
    for (let i = 0; i < 10; i++) {
      custom.push(text(`x-text-${i}`, `${i}${long}`));
      custom.push({ name: `x-int-${i}`, value: { type: 'Integer', value: -1000 * i - 7 } });
      custom.push({ name: `x-date-${i}`, value: { type: 'DateTime', value: 1795485366n + BigInt(i) } });
    }
    const o = objects.create('LIB1', { tape: 'T1', attributes: custom });
    const got = objects.attributes('LIB1', o.uid).filter((a) => a.name.startsWith('x-'));
    expect(got).toHaveLength(30);
    for (const c of custom) expect(got).toContainEqual({ name: c.name, index: 0, value: c.value });
  });

  it('add, modify and delete instances; a custom attribute keeps its type', async () => {
    const o = objects.create('LIB1', { tape: 'T1', attributes: [text('x-Barcode', 'A00001L8')] });
    expect(objects.addAttribute('LIB1', o.uid, text('Object Group', 'g1')).index).toBe(0);
    expect(objects.addAttribute('LIB1', o.uid, text('Object Group', 'g2')).index).toBe(1);
    expect(() => objects.addAttribute('LIB1', o.uid, text('Contact Information', 'a')) && objects.addAttribute('LIB1', o.uid, text('Contact Information', 'b')))
      .toThrow(expect.objectContaining({ code: 'ATTRIBUTE_SINGLE_VALUED' }));
    objects.modifyAttribute('LIB1', o.uid, { ...text('Object Group', 'g2b'), index: 1 });
    expect(() => objects.modifyAttribute('LIB1', o.uid, { name: 'x-Barcode', value: { type: 'Integer', value: 1 } }))
      .toThrow(expect.objectContaining({ code: 'ATTRIBUTE_INVALID' }));
    expect(() => objects.modifyAttribute('LIB1', o.uid, text('Object Group', 'zz'), { type: 'TextString', value: 'nope' }))
      .toThrow(expect.objectContaining({ code: 'ATTRIBUTE_NOT_FOUND' }));
    expect(() => objects.modifyAttribute('LIB1', o.uid, text('Cryptographic Usage Mask', 'x')))
      .toThrow(expect.objectContaining({ code: 'ATTRIBUTE_READ_ONLY' }));
    objects.deleteAttribute('LIB1', o.uid, 'Object Group', { index: 0 });
    const groups = objects.attributes('LIB1', o.uid).filter((a) => a.name === 'Object Group');
    expect(groups).toEqual([{ name: 'Object Group', index: 1, value: { type: 'TextString', value: 'g2b' } }]);
    expect(() => objects.deleteAttribute('LIB1', o.uid, 'State', { all: true })).toThrow(expect.objectContaining({ code: 'ATTRIBUTE_READ_ONLY' }));
  });
});

describe('lifecycle', () => {
  it('Pre-Active -> Active -> Deactivated -> Destroyed; material gone, record and check intact', async () => {
    const o = objects.create('LIB1', { tape: 'T1', attributes: [asi('AA')] });
    expect(objects.material('LIB1', o.uid)).toHaveLength(32);
    expect(objects.activate('LIB1', o.uid).state).toBe(ObjectState.Active);
    expect(() => objects.activate('LIB1', o.uid)).toThrow(expect.objectContaining({ code: 'WRONG_STATE' }));
    expect(() => objects.destroy('LIB1', o.uid)).toThrow(expect.objectContaining({ code: 'WRONG_STATE' }));
    expect(objects.revoke('LIB1', o.uid, { reason: 6 }).state).toBe(ObjectState.Deactivated);
    const d = objects.destroy('LIB1', o.uid);
    expect(d.state).toBe(ObjectState.Destroyed);
    expect(d.destroyDate).not.toBeNull();
    expect(() => objects.material('LIB1', o.uid)).toThrow(expect.objectContaining({ code: 'OBJECT_DESTROYED' }));
    expect(() => engine.lookup(o.uid)).toThrow(expect.objectContaining({ code: 'KEY_DESTROYED' }));
    expect(objects.attributes('LIB1', o.uid).find((a) => a.name === 'State')!.value).toEqual({ type: 'Enumeration', value: ObjectState.Destroyed });
    const sealed = engine.store.db.prepare('SELECT sealed FROM keys WHERE name = ?').pluck().get(o.uid) as Buffer;
    expect(sealed).toHaveLength(TOMBSTONE_BYTES); // a tag and nothing else: no material remains
    expect((await checkKeystore(engine.store)).problems).toEqual([]);
  });

  it('a compromise makes the key Compromised, then Destroyed Compromised', async () => {
    const o = objects.create('LIB1', { tape: 'T1', attributes: [] });
    expect(objects.revoke('LIB1', o.uid, { reason: 2, message: 'lost tape' }).state).toBe(ObjectState.Compromised);
    expect(objects.destroy('LIB1', o.uid).state).toBe(ObjectState.DestroyedCompromised);
  });

  it('the check finds a destroyed object revived by editing the database, and stray attributes', async () => {
    const o = objects.create('LIB1', { tape: 'T1', attributes: [asi('AA')] });
    objects.destroy('LIB1', o.uid);
    engine.store.db.prepare('UPDATE objects SET state = 2').run();
    engine.store.db.prepare('UPDATE attributes SET library_id = (SELECT id FROM libraries WHERE name = ?)').run('LIB2');
    const problems = (await checkKeystore(engine.store)).problems.map((p) => p.problem);
    expect(problems).toContain('its key material is gone, but its KMIP object is not destroyed');
    expect(problems).toContain('has attributes filed under another library, or attributes of no object');
  });
});

describe('register', () => {
  it('stores an imported key sealed, readable, never allocated, and passing the check', async () => {
    const material = Buffer.alloc(32, 7);
    const o = objects.register('LIB1', { material, attributes: [text('Name', 'x')].slice(0, 0) });
    expect(o.origin).toBe('registered');
    expect(objects.material('LIB1', o.uid).equals(material)).toBe(true);
    expect(engine.lookup(o.uid).material.equals(material)).toBe(true);
    const next = objects.create('LIB1', { tape: 'T1', attributes: [] });
    expect(next.origin).toBe('local');
    expect((await checkKeystore(engine.store)).problems).toEqual([]);
    expect(() => objects.register('LIB1', { material: Buffer.alloc(20), attributes: [] })).toThrow(expect.objectContaining({ code: 'MATERIAL_INVALID' }));
  });

  it('makes the library known even before it has a set; generate still works for it', async () => {
    objects.register('NEWLIB', { material: Buffer.alloc(32, 1), attributes: [] });
    expect(engine.generate('NEWLIB', 'i2000')).toMatchObject({ generated: true, count: 256 });
    expect((await checkKeystore(engine.store)).problems).toEqual([]);
  });
});

describe('isolation between libraries', () => {
  it("another library's key is not found, by any route", async () => {
    const o = objects.create('LIB1', { tape: 'T1', attributes: [asi('CAFE')] });
    expect(() => objects.describe('LIB2', o.uid)).toThrow(expect.objectContaining({ code: 'OBJECT_NOT_FOUND' }));
    expect(() => objects.material('LIB2', o.uid)).toThrow(expect.objectContaining({ code: 'OBJECT_NOT_FOUND' }));
    expect(() => objects.destroy('LIB2', o.uid)).toThrow(expect.objectContaining({ code: 'OBJECT_NOT_FOUND' }));
    expect(objects.locate('LIB2', { criteria: [asi('CAFE')] })).toEqual([]);
    expect(objects.locate('LIB2', { criteria: [{ name: 'Unique Identifier', value: { type: 'TextString', value: o.uid } }] })).toEqual([]);
    expect(objects.locate('LIB1', { criteria: [asi('CAFE')] })).toEqual([o.uid]);
  });
});

describe('locate', () => {
  it('finds by namespace and data, namespace alone, names, custom values, state; pages; hides destroyed', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(objects.create('LIB1', { tape: `T${i}`, attributes: [
        asi(`00${i}`),
        { name: 'Alternative Name', value: { type: 'Structure', value: [{ tag: FieldTag.AlternativeNameValue, type: 'TextString', value: `BC${i}` }] } },
        { name: 'x-slot', value: { type: 'Integer', value: i % 2 } },
      ] }).uid);
    }
    expect(objects.locate('LIB1', { criteria: [asi('003')] })).toEqual([made[3]]);
    expect(objects.locate('LIB1', { criteria: [asi('003', 'LIBRARY-LTO7')] })).toEqual([]);
    const nsOnly: NewAttribute = { name: 'Application Specific Information', value: { type: 'Structure', value: [{ tag: FieldTag.ApplicationNamespace, type: 'TextString', value: 'LIBRARY-LTO' }] } };
    expect(objects.locate('LIB1', { criteria: [nsOnly] })).toEqual(made);
    expect(objects.locate('LIB1', { criteria: [{ name: 'Alternative Name', value: { type: 'Structure', value: [{ tag: FieldTag.AlternativeNameValue, type: 'TextString', value: 'BC2' }] } }] })).toEqual([made[2]]);
    expect(objects.locate('LIB1', { criteria: [{ name: 'x-slot', value: { type: 'Integer', value: 1 } }] })).toEqual([made[1], made[3]]);
    // typed: the text "1" is not the integer 1
    expect(objects.locate('LIB1', { criteria: [text('x-slot', '1')] })).toEqual([]);
    expect(objects.locate('LIB1', { criteria: [], maxItems: 2, offsetItems: 1 })).toEqual([made[1], made[2]]);
    objects.activate('LIB1', made[4]!);
    expect(objects.locate('LIB1', { criteria: [{ name: 'State', value: { type: 'Enumeration', value: ObjectState.Active } }] })).toEqual([made[4]]);
    objects.destroy('LIB1', made[0]!);
    expect(objects.locate('LIB1', { criteria: [asi('000')] })).toEqual([]);
    expect(objects.locate('LIB1', { criteria: [asi('000')], includeDestroyed: true })).toEqual([made[0]]);
    expect(objects.locate('LIB1', { criteria: [{ name: 'State', value: { type: 'Enumeration', value: ObjectState.Destroyed } }] })).toEqual([made[0]]);
  });

  it('a Locate by attribute value is an index search, not a scan', async () => {
    const plan = engine.store.db.prepare(
      'EXPLAIN QUERY PLAN SELECT key_seq FROM attributes WHERE library_id = ? AND name = ? AND type = ? AND coalesce(search, value) = ? ORDER BY key_seq',
    ).all(1, 'Application Specific Information', 'Structure', 'x') as { detail: string }[];
    const detail = plan.map((p) => p.detail).join('; ');
    expect(detail).toMatch(/SEARCH attributes USING (COVERING )?INDEX attributes_locate/);
    expect(detail).not.toMatch(/TEMP B-TREE/);
  });
});

describe('schema migration 2', () => {
  it('carries a version-1 keystore over with every key record unchanged', async () => {
    const db = new Database(':memory:');
    db.exec(MIGRATIONS[0] as string);
    db.prepare("INSERT INTO libraries (name, class, created_at) VALUES ('L', 'i500', 0)").run();
    db.prepare("INSERT INTO key_sets (library_id, origin, class, size, nonce, created_at) VALUES (1, 'local', 'i500', 2, 'n', 0)").run();
    const add = db.prepare("INSERT INTO keys (name, library_id, set_id, origin, state, sealed, tape) VALUES (?, 1, 1, 'local', ?, ?, ?)");
    add.run('K1', 'allocated', Buffer.alloc(60, 1), 'T1');
    add.run('K2', 'unused', Buffer.alloc(60, 2), null);
    const before = db.prepare('SELECT * FROM keys ORDER BY seq').all();
    db.exec(MIGRATIONS[1] as string);
    expect(db.prepare('SELECT * FROM keys ORDER BY seq').all()).toEqual(before);
    expect(() => db.prepare("INSERT INTO keys (name, library_id, set_id, origin, state, sealed) VALUES ('R', 1, NULL, 'registered', 'unused', x'00')").run()).not.toThrow();
    expect(() => db.prepare("INSERT INTO keys (name, library_id, set_id, origin, state, sealed) VALUES ('L2', 1, NULL, 'local', 'unused', x'00')").run()).toThrow(/CHECK/);
    db.close();
  });
});
