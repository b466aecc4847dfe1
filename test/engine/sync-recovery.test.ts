import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeBackup } from '../../src/engine/backup.js';
import { checkKeystore } from '../../src/engine/integrity.js';
import { KeyEngine } from '../../src/engine/key-engine.js';
import { DB_FILE, KEYSTORE_LINK, Keystore } from '../../src/engine/keystore.js';
import { MASTER_KEY_FILE } from '../../src/engine/master-key.js';
import { FieldTag, ObjectState, type AttributeValue, type NewAttribute } from '../../src/engine/object-model.js';
import { ManagedObjects } from '../../src/engine/objects.js';
import { restoreBackup } from '../../src/engine/restore.js';
import { testBackupKey, unlockWith } from '../helpers/backup-key.js';
import { SETTINGS, openEngine, removeDir, tempDir, testWorld } from '../helpers/engine.js';

/**
 * Finding 1 of issue 10: after restore and sync, the keys a library was given after the
 * last backup must be its readable KMIP objects again (Get, Get Attributes, Locate), with
 * their tape unknown until the library sends it, and must never be handed out again.
 */
const structure = (name: string, fields: [number, string][]): NewAttribute => ({
  name,
  value: { type: 'Structure', value: fields.map(([tag, value]) => ({ tag, type: 'TextString' as const, value })) },
});
const barcode = (value: string) => structure('Alternative Name', [[FieldTag.AlternativeNameValue, value]]);
const keyId = (data: string) => structure('Application Specific Information', [[FieldTag.ApplicationNamespace, 'LIBRARY-LTO'], [FieldTag.ApplicationData, data]]);
const named = (value: string) => structure('Name', [[FieldTag.NameValue, value]]);

let dir: string;
let out: string;
let engine: KeyEngine;
let objects: ManagedObjects;
const world = testWorld();

beforeEach(() => {
  dir = tempDir();
  out = tempDir('qkm-backups-');
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
  removeDir(out);
});

function reopen(): void {
  engine.store.close();
  engine = new KeyEngine(Keystore.open(dir, world), SETTINGS, world);
  objects = new ManagedObjects(engine);
}

const errorCode = (f: () => unknown): string | undefined => {
  try { f(); } catch (e) { return (e as { code?: string }).code; }
  return undefined;
};

function attributeValues(library: string, uid: string, name: string): AttributeValue[] {
  return objects.attributes(library, uid).filter((a) => a.name === name).map((a) => a.value);
}

describe('sync after restore', () => {
  it('makes the keys handed out after the backup readable by their library again, tape unknown, never handed out twice', async () => {
    engine = openEngine(dir, {}, world);
    objects = new ManagedObjects(engine);
    engine.generate('LIB1', 'i500');
    engine.generate('LIB2', 'i500');
    const backup = await takeBackup(engine, world, { toDir: out, backupKey: await testBackupKey(world) });
    const tapes = ['A00001L8', 'A00002L8', 'A00003L8'];
    const given = tapes.map((t, i) => objects.create('LIB1', { tape: t, attributes: [barcode(t), keyId(`0A0B0C${i}`)] }));
    const material = given.map((o) => objects.material('LIB1', o.uid));
    objects.activate('LIB1', given[0]!.uid);
    engine.store.close();

    await restoreBackup({ dataDir: dir, appFile: backup.appFile, dataFile: backup.dataFile, serial: SETTINGS.serial, world, unlock: unlockWith(), confirmOlder: () => true });
    reopen();
    world.advance(60_000);
    const synced = engine.sync(given[2]!.uid);

    for (const [i, o] of given.entries()) {
      expect(objects.material('LIB1', o.uid).equals(material[i]!)).toBe(true);
      expect(objects.describe('LIB1', o.uid)).toMatchObject({ state: ObjectState.Active, activationDate: world.now(), tape: null, drive: null });
      // Known: its name; unknown, and not invented: the barcode and the key identifier.
      expect(attributeValues('LIB1', o.uid, 'Name')).toEqual([{ type: 'Structure', value: [
        { tag: FieldTag.NameValue, type: 'TextString', value: o.uid }, { tag: FieldTag.NameType, type: 'Enumeration', value: 1 }] }]);
      expect(attributeValues('LIB1', o.uid, 'y-Recovered')).toEqual([{ type: 'DateTime', value: BigInt(world.now() / 1000) }]);
      expect(attributeValues('LIB1', o.uid, 'Alternative Name')).toEqual([]);
      expect(attributeValues('LIB1', o.uid, 'Application Specific Information')).toEqual([]);
      expect(engine.lookup(o.uid)).toMatchObject({ state: 'allocated', tape: null, allocatedAt: null });
      expect(objects.locate('LIB1', { criteria: [named(o.uid)] })).toEqual([o.uid]);
      // Another library still cannot see it.
      expect(errorCode(() => objects.material('LIB2', o.uid))).toBe('OBJECT_NOT_FOUND');
      expect(objects.locate('LIB2', { criteria: [named(o.uid)] })).toEqual([]);
    }
    expect(synced).toEqual({ library: 'LIB1', recovered: 3 });
    // LIB2 was never handed a key: it has no last key to give, and is synchronised as such.
    expect(errorCode(() => objects.create('LIB2', { tape: 'B00001L8', attributes: [] }))).toBe('NEEDS_SYNC');
    expect(errorCode(() => engine.syncNoneUsed('LIB1'))).toBe('KEYS_USED'); // it has a last key
    expect(errorCode(() => engine.syncNoneUsed('NOPE'))).toBe('NO_KEY_SET');
    expect(engine.syncNoneUsed('LIB2')).toEqual({ library: 'LIB2', recovered: 0 });
    expect(objects.create('LIB2', { tape: 'B00001L8', attributes: [] }).uid).toMatch(/-000000$/);
    // The library may still send the Activate that followed its Create: done, nothing changes.
    expect(objects.activate('LIB1', given[1]!.uid)).toMatchObject({ state: ObjectState.Active, activationDate: world.now() });
    // Never handed out again: the next Create gets the key after the last one used.
    const next = objects.create('LIB1', { tape: 'A00004L8', attributes: [barcode('A00004L8')] });
    const names = engine.store.db.prepare("SELECT k.name FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = 'LIB1' ORDER BY seq").pluck().all() as string[];
    expect(next.uid).toBe(names[3]);
    expect(engine.status().find((s) => s.library === 'LIB1')).toMatchObject({ used: 4, needsSync: false });
    expect((await checkKeystore(engine.store)).problems).toEqual([]);

    // The library sends what the backup lacked: the tape is filled in, and Locate finds the key by it.
    const [a, b] = given;
    objects.addAttribute('LIB1', a!.uid, barcode('A00001L8'));
    objects.addAttribute('LIB1', a!.uid, keyId('0A0B0C0'));
    objects.addAttribute('LIB1', b!.uid, { name: 'x-Barcode', value: { type: 'TextString', value: 'A00002L8' } });
    expect(engine.lookup(a!.uid).tape).toBe('A00001L8');
    expect(engine.lookup(b!.uid).tape).toBe('A00002L8');
    expect(objects.describe('LIB1', a!.uid).tape).toBe('A00001L8');
    expect(objects.locate('LIB1', { criteria: [barcode('A00001L8')] })).toEqual([a!.uid]);
    expect(objects.locate('LIB1', { criteria: [keyId('0A0B0C0')] })).toEqual([a!.uid]);
    // A key identifier in another namespace says nothing of the tape: still unknown.
    objects.addAttribute('LIB1', given[2]!.uid, structure('Application Specific Information', [[FieldTag.ApplicationNamespace, 'OTHER'], [FieldTag.ApplicationData, 'x']]));
    expect(engine.lookup(given[2]!.uid).tape).toBeNull();
    expect((await checkKeystore(engine.store)).problems).toEqual([]);
  });
});

describe('the tape of a key follows the attributes the library sends', () => {
  beforeEach(() => {
    engine = openEngine(dir, { requireBackup: false }, world);
    objects = new ManagedObjects(engine);
    engine.generate('LIB1', 'i500');
  });

  it('a key created without a barcode gets its tape when the barcode comes; a bad barcode is refused and changes nothing', () => {
    const o = objects.create('LIB1', { tape: '(unlabelled)', attributes: [] });
    expect(engine.lookup(o.uid).tape).toBe('(unlabelled)');
    expect(errorCode(() => objects.addAttribute('LIB1', o.uid, barcode('NOT A BARCODE')))).toBe('ATTRIBUTE_INVALID');
    expect(attributeValues('LIB1', o.uid, 'Alternative Name')).toEqual([]);
    objects.addAttribute('LIB1', o.uid, barcode('C00001L8'));
    expect(engine.lookup(o.uid).tape).toBe('C00001L8');
    objects.modifyAttribute('LIB1', o.uid, { ...barcode('C00002L8'), index: 0 });
    expect(engine.lookup(o.uid).tape).toBe('C00002L8');
    objects.deleteAttribute('LIB1', o.uid, 'Alternative Name', { all: true });
    expect(engine.lookup(o.uid).tape).toBe('(unlabelled)');
  });
});

describe('schema migration 4: keys synchronised by qkm up to schema 3', () => {
  const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'keystore-schema3-synced');
  const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
    serial: string;
    lastKey: string;
    allocated: string;
    keys: Record<string, { library: string; state: string; tape: string | null; material: string }>;
  };

  it('turns the keys that sync marked skipped into their library\'s readable objects, and hands out the key after them next', async () => {
    const ks = path.join(dir, 'keystore-schema3');
    mkdirSync(ks, { mode: 0o700 });
    for (const f of [DB_FILE, MASTER_KEY_FILE]) copyFileSync(path.join(FIXTURE, f), path.join(ks, f));
    chmodSync(path.join(ks, MASTER_KEY_FILE), 0o600);
    symlinkSync('keystore-schema3', path.join(dir, KEYSTORE_LINK));
    engine = new KeyEngine(Keystore.open(dir, world), { ...SETTINGS, serial: expected.serial, requireBackup: false }, world);
    objects = new ManagedObjects(engine);

    const skipped = Object.entries(expected.keys).filter(([, k]) => k.state === 'skipped').map(([name]) => name);
    expect(skipped).toHaveLength(3);
    for (const name of skipped) {
      expect(objects.material('LIB1', name).toString('hex')).toBe(expected.keys[name]!.material);
      expect(objects.describe('LIB1', name)).toMatchObject({ state: ObjectState.Active, tape: null });
      expect(objects.locate('LIB1', { criteria: [named(name)] })).toEqual([name]);
      expect(engine.lookup(name).state).toBe('allocated');
      expect(errorCode(() => objects.material('LIB2', name))).toBe('OBJECT_NOT_FOUND');
    }
    // The key given before the sync is as it was.
    expect(objects.describe('LIB1', expected.allocated)).toMatchObject({ state: ObjectState.Active, tape: 'A00001L4' });
    expect(objects.locate('LIB1', { criteria: [barcode('A00001L4')] })).toEqual([expected.allocated]);
    const names = Object.keys(expected.keys).filter((n) => expected.keys[n]!.library === 'LIB1');
    expect(objects.create('LIB1', { tape: 'A00005L4', attributes: [] }).uid).toBe(names[names.indexOf(expected.lastKey) + 1]);
    expect((await checkKeystore(engine.store)).problems).toEqual([]);
  });
});
