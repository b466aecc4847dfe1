import Database from 'better-sqlite3';
import { chmodSync, cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeystoreError } from '../../src/errors.js';
import { checkKeystore } from '../../src/engine/integrity.js';
import type { JournalEntry } from '../../src/engine/journal.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { KEYSTORE_LINK } from '../../src/engine/keystore.js';
import { ObjectState } from '../../src/engine/object-model.js';
import { ManagedObjects } from '../../src/engine/objects.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';
import { ENGINE_WORKER, runWorker } from '../helpers/worker.js';

/**
 * The change journal on a real SQLite file: what the peer of a pair must learn is written
 * in the change's own transaction, in order, and trimmed only behind the peers'
 * acknowledgements. The kill loop's long version is in scripts/stress.sh.
 */
let dir: string;
let engine: KeyEngine;
let objects: ManagedObjects;

const barcode = (value: string) => ({ name: 'x-Barcode', value: { type: 'TextString' as const, value } });
const entries = (e: KeyEngine = engine): JournalEntry[] => e.journal.after(0, 1_000_000);
const kinds = (list: JournalEntry[]) => list.map((e) => `${e.kind} ${e.subject}`);
/** As if every peer had stored its copy of the sets (replication's business, not tested here). */
const peersHoldSets = (e: KeyEngine = engine) => e.store.db.prepare('UPDATE key_sets SET replicated_at = created_at WHERE replicated_at IS NULL').run();

beforeEach(() => {
  dir = tempDir();
  engine = openEngine(dir, { requireBackup: false });
  objects = new ManagedObjects(engine);
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
});

describe('the change journal records every change a peer must learn', () => {
  it('a standalone server keeps no journal', () => {
    engine.generate('LIB1', 'i500');
    objects.create('LIB1', { tape: 'A00001L8', attributes: [] });
    expect(engine.journal.size()).toBe(0);
    expect(engine.journal.lastSeq()).toBe(0);
  });

  it('once paired: set generated, key allocated, attribute changed, object registered, revoked and destroyed, sync; in order', () => {
    engine.journal.addPeer('PEER1');
    const set = engine.generate('LIB1', 'i500');
    if (!set.generated) throw new Error('no set');
    peersHoldSets();
    const nonce = set.firstKey.split('-')[1]!;
    const o = objects.create('LIB1', { tape: 'A00001L8', attributes: [barcode('A00001L8')] });
    objects.modifyAttribute('LIB1', o.uid, barcode('A00002L8'));
    const r = objects.register('LIB1', { material: Buffer.alloc(32, 7), attributes: [] });
    objects.revoke('LIB1', r.uid, { reason: 1 });
    objects.destroy('LIB1', r.uid);
    engine.store.db.prepare('UPDATE libraries SET needs_sync = 1').run();
    const second = engine.store.db.prepare("SELECT name FROM keys WHERE origin = 'local' ORDER BY seq LIMIT 1 OFFSET 2").pluck().get() as string;
    engine.sync(second);

    const list = entries();
    expect(kinds(list)).toEqual([
      `set ${nonce}`,
      `allocation ${o.uid}`,
      `object ${o.uid}`,
      `object ${o.uid}`,
      `object ${r.uid}`,
      `object ${r.uid}`,
      `object ${r.uid}`,
      'sync LIB1',
    ]);
    const seqs = list.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(list[0]!.body).toMatchObject({ library: 'LIB1', class: 'i500', size: 64, firstKey: set.firstKey, lastKey: set.lastKey });
    expect(list[1]!.body).toMatchObject({ library: 'LIB1', tape: 'A00001L8' });
    // An object entry is the whole object as it then was: the last one says what the peer must hold.
    expect(list[3]!.body).toMatchObject({ uid: o.uid, library: 'LIB1', tape: 'A00002L8', alloc: 'allocated', state: ObjectState.PreActive });
    expect(list[3]!.body.attributes).toContainEqual({ name: 'x-Barcode', idx: 0, type: 'TextString', value: 'A00002L8' });
    expect(list[4]!.body).toMatchObject({ uid: r.uid, origin: 'registered' });
    expect(list[6]!.body).toMatchObject({ uid: r.uid, state: ObjectState.Destroyed });
    expect(list[7]!.body).toEqual({ lastKey: second, recovered: 2 });
  });

  it('no key material is ever in the journal', () => {
    engine.journal.addPeer('PEER1');
    engine.generate('LIB1', 'i500');
    peersHoldSets();
    const material = Buffer.alloc(32, 0x5a);
    objects.register('LIB1', { material, attributes: [] });
    const o = objects.create('LIB1', { tape: 'T1', attributes: [] });
    const given = objects.material('LIB1', o.uid);
    const text = JSON.stringify(entries());
    for (const m of [material, given]) {
      expect(text).not.toContain(m.toString('hex'));
      expect(text).not.toContain(m.toString('base64'));
    }
  });

  it('a change that is refused or rolled back leaves no entry', () => {
    engine.journal.addPeer('PEER1');
    expect(() => objects.create('LIB9', { tape: 'T1', attributes: [] })).toThrow(/no key set/);
    engine.generate('LIB1', 'i500');
    peersHoldSets();
    const before = engine.journal.lastSeq();
    expect(() => objects.transaction(() => {
      objects.create('LIB1', { tape: 'T1', attributes: [] });
      throw new Error('the batch is undone as a whole');
    })).toThrow(/undone/);
    expect(engine.journal.lastSeq()).toBe(before);
    expect(kinds(entries()).map((k) => k.split(' ')[0])).toEqual(['set']);
  });

  it('refuses an entry written outside a transaction', () => {
    expect(() => engine.journal.record('sync', 'LIB1', {})).toThrow(/outside/);
  });
});

describe('trimming behind the acknowledgements', () => {
  it('keeps every entry until each peer holds it; sequence numbers are never given twice, even after a reopen', () => {
    engine.journal.addPeer('PEER1');
    engine.journal.addPeer('PEER2');
    engine.generate('LIB1', 'i500');
    peersHoldSets();
    for (let i = 0; i < 4; i++) objects.create('LIB1', { tape: `T${i}`, attributes: [] });
    const last = engine.journal.lastSeq();
    expect(last).toBe(9);

    expect(engine.journal.acknowledge('PEER1', last)).toEqual({ trimmed: 0 }); // PEER2 holds none yet
    expect(engine.journal.acknowledge('PEER2', 3)).toEqual({ trimmed: 3 });
    expect(engine.journal.after(0)[0]!.seq).toBe(4);
    // A late, older acknowledgement never brings the mark back.
    engine.journal.acknowledge('PEER2', 1);
    expect(engine.journal.peers().find((p) => p.name === 'PEER2')!.ackedSeq).toBe(3);
    engine.journal.acknowledge('PEER2', last);
    expect(engine.journal.size()).toBe(0);

    engine.store.close();
    engine = openEngine(dir, { requireBackup: false });
    objects = new ManagedObjects(engine);
    objects.create('LIB1', { tape: 'T9', attributes: [] });
    expect(entries().map((e) => e.seq)).toEqual([last + 1, last + 2]);
  });

  it('refuses an acknowledgement of an entry never written, or from a server that is no peer, and changes nothing', () => {
    engine.journal.addPeer('PEER1');
    engine.generate('LIB1', 'i500');
    expect(() => engine.journal.acknowledge('PEER1', 2)).toThrow(KeystoreError);
    expect(() => engine.journal.acknowledge('STRANGER', 1)).toThrow(/not a peer/);
    expect(engine.journal.size()).toBe(1);
    expect(engine.journal.peers()[0]!.ackedSeq).toBe(0);
  });

  it('a peer added later does not hold back the entries written before it; removing the slowest peer trims for the rest', () => {
    engine.journal.addPeer('PEER1');
    engine.generate('LIB1', 'i500');
    peersHoldSets();
    engine.journal.addPeer('PEER2');
    objects.create('LIB1', { tape: 'T1', attributes: [] });
    engine.journal.acknowledge('PEER1', 3);
    expect(entries().map((e) => e.seq)).toEqual([2, 3]); // PEER2 still needs what came after it joined
    engine.journal.removePeer('PEER2');
    expect(engine.journal.size()).toBe(0);
  });
});

describe('schema migration 5', () => {
  it('an older keystore (schema 3, upgraded through 4) gains the journal, with its keys and objects intact', async () => {
    engine.store.close();
    removeDir(dir);
    dir = tempDir();
    const fixture = path.resolve(import.meta.dirname, '..', 'fixtures', 'keystore-schema3-synced');
    mkdirSync(path.join(dir, 'ks'), { mode: 0o700 });
    cpSync(path.join(fixture, 'keystore.db'), path.join(dir, 'ks', 'keystore.db'));
    cpSync(path.join(fixture, 'master.key'), path.join(dir, 'ks', 'master.key'));
    chmodSync(path.join(dir, 'ks', 'master.key'), 0o600); // git keeps no file modes but the executable bit
    symlinkSync('ks', path.join(dir, KEYSTORE_LINK));
    const raw = new Database(path.join(dir, 'ks', 'keystore.db'));
    const tablesBefore = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    raw.close();
    expect(tablesBefore).not.toContain('journal');
    const serial = (JSON.parse(readFileSync(path.join(fixture, 'expected.json'), 'utf8')) as { serial: string }).serial;
    engine = openEngine(dir, { requireBackup: false, serial });
    objects = new ManagedObjects(engine);
    expect((await checkKeystore(engine.store)).problems).toEqual([]);
    engine.journal.addPeer('PEER1');
    engine.generate('LIBNEW', 'i500');
    expect(kinds(entries())[0]).toMatch(/^set /);
  });
});

describe('the journal and its change survive SIGKILL together', () => {
  const ITERATIONS = Number(process.env.QKM_JOURNAL_KILL_ITERATIONS ?? 6);

  it(`never one without the other, over ${ITERATIONS} kills`, async () => {
    engine.store.close();
    const settings = { requireBackup: false, serial: 'QKMKILL01', setSizes: { i500: 1024, i2000: 4096 } };
    let acked = new Map<string, string>(); // key name -> its barcode as last acknowledged
    let ackedSets = new Set<string>();
    let objectsAcked = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      if (i % 10 === 0) {
        // A fresh paired keystore every ten kills: its set lasts, and the check stays quick in long runs.
        removeDir(dir);
        dir = tempDir();
        acked = new Map();
        ackedSets = new Set();
        const setup = openEngine(dir, settings);
        setup.journal.addPeer('PEER');
        setup.generate('LIB', 'i2000');
        peersHoldSets(setup);
        setup.store.close();
      }
      const run = await runWorker(ENGINE_WORKER, [dir, 'journal', 'LIB', '100000'], Math.floor(Math.random() * 300));
      expect(run.signal, run.stderr).toBe('SIGKILL');
      for (const l of run.lines) {
        const [kind, a, b] = l.split(' ');
        if (kind === 'G') ackedSets.add(a!);
        else if (kind === 'O') objectsAcked++;
        if (kind !== 'G') acked.set(a!, b!);
      }
      const after = openEngine(dir, settings);
      try {
        expect((await checkKeystore(after.store)).problems).toEqual([]);
        journalMatchesKeystore(after, acked, ackedSets);
      } finally {
        after.store.close();
      }
    }
    expect(objectsAcked).toBeGreaterThan(ITERATIONS);
    engine = openEngine(dir, settings); // for afterEach
  }, 30_000 + ITERATIONS * 5_000);
});

/** Every change has its entry and every entry its change; the last entry of each object is the object. */
function journalMatchesKeystore(e: KeyEngine, acked: Map<string, string>, ackedSets: Set<string>): void {
  const db = e.store.db;
  const list = entries(e);
  const of = (kind: string) => list.filter((x) => x.kind === kind);

  const sets = db.prepare("SELECT nonce FROM key_sets WHERE origin = 'local' ORDER BY id").pluck().all() as string[];
  expect(of('set').map((x) => x.subject)).toEqual(sets);
  for (const s of ackedSets) expect(sets).toContain(s);

  const allocated = db.prepare("SELECT name FROM keys WHERE state = 'allocated' ORDER BY seq").pluck().all() as string[];
  expect(of('allocation').map((x) => x.subject)).toEqual(allocated);

  const attrs = db.prepare('SELECT name, idx, type, value FROM attributes WHERE key_seq = ? ORDER BY name, idx');
  const objectRows = db.prepare('SELECT k.seq, k.name, k.tape, o.state FROM objects o JOIN keys k ON k.seq = o.key_seq').all() as { seq: number; name: string; tape: string; state: number }[];
  const lastObject = new Map<string, JournalEntry>();
  for (const x of of('object')) lastObject.set(x.subject, x);
  expect(new Set(lastObject.keys())).toEqual(new Set(objectRows.map((o) => o.name)));
  for (const o of objectRows) {
    const body = lastObject.get(o.name)!.body;
    expect(body).toMatchObject({ tape: o.tape, state: o.state });
    expect(body.attributes).toEqual(attrs.all(o.seq));
  }
  for (const [name, code] of acked) {
    const body = lastObject.get(name)?.body;
    expect(body, `acknowledged object ${name} has no journal entry`).toBeDefined();
    // Acknowledged as changed: the change is there. Acknowledged as created only: the change may
    // have committed just before the kill, unacknowledged.
    if (code.endsWith('B')) expect(body!.tape).toBe(code);
    else expect([code, `${code}B`]).toContain(body!.tape);
  }
}
