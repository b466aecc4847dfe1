/**
 * Objects of every kind a general client keeps (AES-128/192/256, Triple-DES, Secret Data)
 * on a real keystore file: sealed records as long as their material, proven by the check,
 * copied to the peer with their material and kind, and the keystores of schema 6 (every
 * object a library's AES-256 key) given their algorithm, length and format on opening.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkKeystore } from '../../src/engine/integrity.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { ManagedObjects } from '../../src/engine/objects.js';
import { PeerCopies } from '../../src/engine/peer-copies.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

let dirs: string[];
let a: KeyEngine;
let objects: ManagedObjects;
beforeEach(() => {
  dirs = [tempDir()];
  a = openEngine(dirs[0]!, { requireBackup: false, serial: 'QKMA1' });
  objects = new ManagedObjects(a);
});
afterEach(() => {
  a.store.close();
  for (const d of dirs) removeDir(d);
});

const spec = (algorithm: number, bits: number) => [
  { name: 'Cryptographic Algorithm', value: { type: 'Enumeration' as const, value: algorithm } },
  { name: 'Cryptographic Length', value: { type: 'Integer' as const, value: bits } },
];

function registerAll(on: ManagedObjects) {
  return [
    on.register('DB1', { material: Buffer.alloc(16, 1), attributes: spec(3, 128) }),
    on.register('DB1', { material: Buffer.alloc(24, 2), attributes: spec(3, 192) }),
    on.register('DB1', { material: Buffer.alloc(24, 3), attributes: spec(2, 168) }),
    on.register('DB1', { material: Buffer.alloc(96, 4), attributes: [], objectType: 7, format: 2, secretType: 2 }),
    on.mint('DB1', { attributes: spec(3, 128) }),
  ];
}

describe('objects of every kind', () => {
  it('keep their material in records as long as it is, which the check proves and names when damaged', async () => {
    const made = registerAll(objects);
    expect(made.map((o) => objects.material('DB1', o.uid).length)).toEqual([16, 24, 24, 96, 16]);
    const sent = [Buffer.alloc(16, 1), Buffer.alloc(24, 2), Buffer.alloc(24, 3), Buffer.alloc(96, 4)];
    expect(sent.map((m, i) => objects.material('DB1', made[i]!.uid).equals(m))).toEqual([true, true, true, true]);
    expect(made.map((o) => objects.kind('DB1', o.uid))).toMatchObject([
      { objectType: 2, spec: { algorithm: 3, bits: 128 }, format: 1 },
      { objectType: 2, spec: { algorithm: 3, bits: 192 }, format: 1 },
      { objectType: 2, spec: { algorithm: 2, bits: 168 }, format: 1 },
      { objectType: 7, spec: null, format: 2, secretType: 2 },
      { objectType: 2, spec: { algorithm: 3, bits: 128 }, format: 1 },
    ]);
    expect((await checkKeystore(a.store)).problems).toEqual([]);
    // One flipped bit in the Secret Data's record: the check names that record.
    const db = a.store.db;
    const sealed = db.prepare('SELECT sealed FROM keys WHERE name = ?').pluck().get(made[3]!.uid) as Buffer;
    sealed[40]! ^= 1;
    db.prepare('UPDATE keys SET sealed = ? WHERE name = ?').run(sealed, made[3]!.uid);
    const problems = (await checkKeystore(a.store)).problems;
    expect(JSON.stringify(problems)).toContain(made[3]!.uid);
    expect(() => objects.material('DB1', made[3]!.uid)).toThrow(expect.objectContaining({ code: 'KEY_RECORD_DAMAGED' }));
  });

  it('are copied to the peer with their material and kind', () => {
    dirs.push(tempDir());
    const b = openEngine(dirs[1]!, { requireBackup: false, serial: 'QKMB1' });
    try {
      new PeerCopies(a).pairWith('QKMB1');
      new PeerCopies(b).pairWith('QKMA1');
      const made = registerAll(objects);
      new PeerCopies(b).apply('QKMA1', new PeerCopies(a).outgoing(0, 10_000));
      const copy = new ManagedObjects(b);
      for (const o of made) {
        expect(copy.material('DB1', o.uid).equals(objects.material('DB1', o.uid))).toBe(true);
        expect(copy.kind('DB1', o.uid)).toEqual(objects.kind('DB1', o.uid));
      }
    } finally {
      b.store.close();
    }
  });

  it('a keystore of schema 6 gets every object\'s algorithm, length and format when opened', () => {
    a.generate('LIB1', 'i500');
    const o = objects.create('LIB1', { tape: 'A00001L8', attributes: [] });
    const db = a.store.db;
    // As schema 6 kept it: no algorithm, length or format on the object.
    db.prepare("DELETE FROM attributes WHERE name IN ('Cryptographic Algorithm', 'Cryptographic Length', 'Key Format Type')").run();
    db.pragma('user_version = 6');
    a.store.close();
    a = openEngine(dirs[0]!, { requireBackup: false, serial: 'QKMA1' });
    objects = new ManagedObjects(a);
    const names = objects.attributes('LIB1', o.uid).filter((x) => ['Cryptographic Algorithm', 'Cryptographic Length', 'Key Format Type'].includes(x.name));
    expect(names.map((x) => [x.name, x.value.value])).toEqual([['Cryptographic Algorithm', 3], ['Cryptographic Length', 256], ['Key Format Type', 1]]);
    expect(objects.locate('LIB1', { criteria: [{ name: 'Cryptographic Length', value: { type: 'Integer', value: 256 } }] })).toEqual([o.uid]);
  });
});
