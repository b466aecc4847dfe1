import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkKeystore } from '../../src/engine/integrity.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { ObjectState } from '../../src/engine/object-model.js';
import { ManagedObjects } from '../../src/engine/objects.js';
import { PeerCopies } from '../../src/engine/peer-copies.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';
import { ENGINE_WORKER, runWorker } from '../helpers/worker.js';

/**
 * Replication's two ends on real keystore files, without the network: what one server
 * sends of its journal and what the other applies into its copy of the peer's keys.
 */
let dirs: string[];
let a: KeyEngine;
let b: KeyEngine;
let objectsA: ManagedObjects;
let objectsB: ManagedObjects;

beforeEach(() => {
  dirs = [tempDir(), tempDir()];
  a = openEngine(dirs[0]!, { requireBackup: false, serial: 'QKMA1' });
  b = openEngine(dirs[1]!, { requireBackup: false, serial: 'QKMB1' });
  objectsA = new ManagedObjects(a);
  objectsB = new ManagedObjects(b);
});
afterEach(() => {
  a.store.close();
  b.store.close();
  for (const d of dirs) removeDir(d);
});

/** One round of replication from A to B: B applies what A sends after B's acknowledgement; A trims. */
function replicate(): number {
  const acked = a.journal.peers().find((p) => p.name === 'QKMB1')!.ackedSeq;
  const { applied } = new PeerCopies(b).apply('QKMA1', new PeerCopies(a).outgoing(acked, 10_000));
  a.journal.acknowledge('QKMB1', applied);
  return applied;
}

describe("the peer's copy", () => {
  it('holds every key of the peer, sealed under its own master key, readable by the library and never handed out', async () => {
    new PeerCopies(a).pairWith('QKMB1');
    new PeerCopies(b).pairWith('QKMA1');
    a.generate('LIB1', 'i500');
    replicate();
    const o = objectsA.create('LIB1', { tape: 'A00001L8', attributes: [{ name: 'x-Barcode', value: { type: 'TextString', value: 'A00001L8' } }] });
    objectsA.activate('LIB1', o.uid);
    const r = objectsA.register('LIB1', { material: Buffer.alloc(32, 9), attributes: [] });
    expect(replicate()).toBe(a.journal.lastSeq());
    expect(a.journal.size()).toBe(0); // trimmed behind B's acknowledgement

    expect(objectsB.material('LIB1', o.uid)).toEqual(objectsA.material('LIB1', o.uid));
    expect(objectsB.material('LIB1', r.uid)).toEqual(Buffer.alloc(32, 9));
    expect(objectsB.describe('LIB1', o.uid)).toMatchObject({ state: ObjectState.Active, tape: 'A00001L8', origin: 'peer' });
    expect(objectsB.locate('LIB1', { criteria: [{ name: 'x-Barcode', value: { type: 'TextString', value: 'A00001L8' } }] })).toEqual([o.uid]);
    expect(b.lookup(o.uid)).toMatchObject({ origin: 'peer', state: 'allocated' });
    // Sealed under B's own master key: B's record differs from A's.
    const sealedOf = (e: KeyEngine) => e.store.db.prepare('SELECT sealed FROM keys WHERE name = ?').pluck().get(o.uid) as Buffer;
    expect(sealedOf(b).equals(sealedOf(a))).toBe(false);
    expect(() => objectsB.create('LIB1', { tape: 'B1', attributes: [] })).toThrow();
    expect(b.store.db.prepare("SELECT COUNT(*) FROM keys WHERE origin = 'peer' AND state = 'allocated'").pluck().get()).toBe(1);
    expect((await checkKeystore(b.store)).problems).toEqual([]);
  });

  it('applies nothing twice: a batch sent again, or overlapping, changes nothing', () => {
    new PeerCopies(a).pairWith('QKMB1');
    new PeerCopies(b).pairWith('QKMA1');
    a.generate('LIB1', 'i500');
    a.store.db.prepare('UPDATE key_sets SET replicated_at = created_at').run(); // as if B had acknowledged it
    for (let i = 0; i < 3; i++) objectsA.create('LIB1', { tape: `T${i}`, attributes: [] });
    const all = new PeerCopies(a).outgoing(0, 10_000);
    const copies = new PeerCopies(b);
    expect(copies.apply('QKMA1', all.slice(0, 3))).toEqual({ applied: 3 });
    expect(b.journal.peers()[0]!.appliedSeq).toBe(3); // kept with the copy: what is held is never applied again
    const before = b.store.db.prepare('SELECT name, state, sealed, tape FROM keys ORDER BY seq').all();
    expect(copies.apply('QKMA1', all.slice(0, 3))).toEqual({ applied: 3 });
    expect(b.store.db.prepare('SELECT name, state, sealed, tape FROM keys ORDER BY seq').all()).toEqual(before);
    expect(copies.apply('QKMA1', all)).toEqual({ applied: all.at(-1)!.seq });
    expect(b.store.db.prepare("SELECT COUNT(*) FROM objects").pluck().get()).toBe(3);
  });

  it('a server paired after it has keys sends them all first', () => {
    a.generate('LIB1', 'i500');
    const o = objectsA.create('LIB1', { tape: 'OLD1', attributes: [] });
    objectsA.revoke('LIB1', o.uid, { reason: 1 });
    objectsA.destroy('LIB1', o.uid);
    new PeerCopies(a).pairWith('QKMB1');
    new PeerCopies(b).pairWith('QKMA1');
    replicate();
    expect(objectsB.describe('LIB1', o.uid)).toMatchObject({ state: ObjectState.Destroyed, tape: 'OLD1' });
    expect(b.store.db.prepare("SELECT COUNT(*) FROM keys WHERE origin = 'peer'").pluck().get()).toBe(64);
  });

  it('refuses entries from a peer whose journal went back (restored from an older backup) rather than skip them as held', () => {
    new PeerCopies(a).pairWith('QKMB1');
    new PeerCopies(b).pairWith('QKMA1');
    a.generate('LIB1', 'i500');
    replicate();
    const held = b.journal.peers()[0]!.appliedSeq;
    expect(() => new PeerCopies(b).apply('QKMA1', [], held - 1)).toThrow(/restored from an older backup/);
    expect(new PeerCopies(b).apply('QKMA1', [], held)).toEqual({ applied: held });
  });

  it('a key imported on both servers is one key; two different keys of one name each stay where they were imported, with a ticket', () => {
    new PeerCopies(a).pairWith('QKMB1');
    new PeerCopies(b).pairWith('QKMA1');
    const name = 'QKMSITE1-00112233aabbccdd-000001';
    const other = 'QKMSITE1-00112233aabbccdd-000002';
    objectsA.importKeys('LIBB', [{ name, material: Buffer.alloc(32, 1), attributes: [] }, { name: other, material: Buffer.alloc(32, 2), attributes: [] }]);
    objectsB.importKeys('LIBB', [{ name, material: Buffer.alloc(32, 1), attributes: [] }, { name: other, material: Buffer.alloc(32, 3), attributes: [] }]);
    expect(replicate()).toBe(a.journal.lastSeq());
    expect(objectsB.material('LIBB', name)).toEqual(Buffer.alloc(32, 1));
    // Neither key is given up: B keeps its own, and says so.
    expect(objectsB.material('LIBB', other)).toEqual(Buffer.alloc(32, 3));
    expect(b.tickets.list({ openOnly: true }).filter((t) => t.kind === 'imported-key-conflict')).toEqual([
      expect.objectContaining({ condition: `imported-key-conflict:${other}`, severity: 'error', text: expect.stringContaining(`Server QKMA1 imported a key named ${other} for library LIBB`) }),
    ]);
  });

  it('refuses entries from a server that is not a peer, and changes nothing', () => {
    new PeerCopies(a).pairWith('QKMB1');
    a.generate('LIB1', 'i500');
    expect(() => new PeerCopies(b).apply('QKMA1', new PeerCopies(a).outgoing(0))).toThrow(/not a peer/);
    expect(b.store.db.prepare('SELECT COUNT(*) FROM keys').pluck().get()).toBe(0);
  });
});

describe('a set is usable only once the peer holds it', () => {
  it('allocation waits for the acknowledgement; a withdrawn set goes whole from both sides', () => {
    new PeerCopies(a).pairWith('QKMB1');
    new PeerCopies(b).pairWith('QKMA1');
    const set = a.generate('LIB1', 'i500');
    if (!set.generated) throw new Error('no set');
    expect(() => objectsA.create('LIB1', { tape: 'T1', attributes: [] })).toThrow(/not yet stored on the peer/);
    expect(a.isReplicated(set.setId)).toBe(false);
    replicate();
    expect(a.isReplicated(set.setId)).toBe(true);
    objectsA.create('LIB1', { tape: 'T1', attributes: [] });
    expect(a.withdrawSet(set.setId, 'too late')).toBe(false); // held by the peer: it stays

    a.store.db.prepare("UPDATE libraries SET local_used = local_total").run(); // room for a second set
    a.store.db.prepare("UPDATE keys SET state = 'skipped' WHERE 0").run();
    const second = a.generate('LIB2', 'i500');
    if (!second.generated) throw new Error('no second set');
    // The peer got the set, but its acknowledgement was lost: A takes the set back, and B drops its copy.
    const sent = new PeerCopies(a).outgoing(a.journal.peers()[0]!.ackedSeq, 10_000);
    new PeerCopies(b).apply('QKMA1', sent);
    expect(b.store.db.prepare("SELECT COUNT(*) FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = 'LIB2'").pluck().get()).toBe(64);
    expect(a.withdrawSet(second.setId, 'The peer did not store it.')).toBe(true);
    expect(a.tickets.list({ openOnly: true }).map((t) => t.condition)).toContain('pair-generation-failed:LIB2');
    replicate();
    for (const e of [a, b]) {
      expect(e.store.db.prepare("SELECT COUNT(*) FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = 'LIB2'").pluck().get()).toBe(0);
    }
    expect(a.status().find((s) => s.library === 'LIB2')).toMatchObject({ total: 0 });
  });
});

describe('replication survives SIGKILL at any moment', () => {
  const KILLS = Number(process.env.QKM_REPLICATION_KILLS ?? 6);

  it(`nothing lost, nothing applied twice, over ${KILLS} kills`, async () => {
    a.store.close();
    b.store.close();
    const settings = { requireBackup: false, setSizes: { i500: 1024, i2000: 4096 } };
    let acked = new Map<string, string>();
    for (let i = 0; i < KILLS; i++) {
      if (i % 10 === 0) {
        // Fresh keystores every ten kills: the set lasts, and the checks stay quick in long runs.
        for (const d of dirs) removeDir(d);
        dirs = [tempDir(), tempDir()];
        acked = new Map();
        const src = openEngine(dirs[0]!, { ...settings, serial: 'QKMKILL01' });
        const dst = openEngine(dirs[1]!, { ...settings, serial: 'QKMKILL02' });
        new PeerCopies(src).pairWith('QKMKILL02');
        new PeerCopies(dst).pairWith('QKMKILL01');
        src.generate('LIB', 'i2000');
        catchUp(src, dst);
        src.store.close();
        dst.store.close();
      }
      const run = await runWorker(ENGINE_WORKER, [dirs[0]!, 'replicate', dirs[1]!, '100000'], Math.floor(Math.random() * 300));
      expect(run.signal, run.stderr).toBe('SIGKILL');
      for (const l of run.lines) if (l.startsWith('O ')) acked.set(l.split(' ')[1]!, l.split(' ')[2]!);
      const src = openEngine(dirs[0]!, { ...settings, serial: 'QKMKILL01' });
      const dst = openEngine(dirs[1]!, { ...settings, serial: 'QKMKILL02' });
      try {
        // The peer never holds more than was written, nor the sender believe it holds more than it does.
        const applied = dst.journal.peers()[0]!.appliedSeq;
        expect(applied).toBeLessThanOrEqual(src.journal.lastSeq());
        expect(src.journal.peers()[0]!.ackedSeq).toBeLessThanOrEqual(applied);
        catchUp(src, dst);
        await copiesAgree(src, dst, acked);
      } finally {
        src.store.close();
        dst.store.close();
      }
    }
    a = openEngine(dirs[0]!, { ...settings, serial: 'QKMKILL01' }); // for afterEach
    b = openEngine(dirs[1]!, { ...settings, serial: 'QKMKILL02' });
  }, 30_000 + KILLS * 5_000);
});

/** Replication rounds until the sender's journal is all acknowledged, as qkmd's replicator does them. */
function catchUp(src: KeyEngine, dst: KeyEngine): void {
  const [from, to] = [src.settings.serial, dst.settings.serial];
  for (let acked = src.journal.peers()[0]!.ackedSeq; acked < src.journal.lastSeq(); acked = src.journal.peers()[0]!.ackedSeq) {
    const { applied } = new PeerCopies(dst).apply(from, new PeerCopies(src).outgoing(acked, 50));
    src.journal.acknowledge(to, applied);
  }
}

/** The copy is the original: every key handed out, with its tape and material, once; every object; both keystores check clean. */
async function copiesAgree(src: KeyEngine, dst: KeyEngine, acked: Map<string, string>): Promise<void> {
  const given = (e: KeyEngine, origin: string) => e.store.db.prepare(`SELECT name, tape FROM keys WHERE origin = '${origin}' AND state = 'allocated' ORDER BY name`).all();
  expect(given(dst, 'peer')).toEqual(given(src, 'local'));
  const objectsOf = (e: KeyEngine) => e.store.db.prepare('SELECT k.name, o.state FROM objects o JOIN keys k ON k.seq = o.key_seq ORDER BY k.name').all();
  expect(objectsOf(dst)).toEqual(objectsOf(src));
  const on = { src: new ManagedObjects(src), dst: new ManagedObjects(dst) };
  for (const [uid, tape] of acked) {
    expect(on.dst.describe('LIB', uid).tape).toBe(tape);
    expect(on.dst.material('LIB', uid)).toEqual(on.src.material('LIB', uid));
  }
  expect(dst.journal.peers()[0]!.appliedSeq).toBe(src.journal.lastSeq());
  for (const e of [src, dst]) expect((await checkKeystore(e.store)).problems).toEqual([]);
}

describe('the backup-needed ticket after a withdrawn set', () => {
  it('stays open for a key stored after the backup\'s snapshot, even one that took a withdrawn key\'s number', () => {
    new PeerCopies(a).pairWith('QKMB1');
    objectsA.register('LIB1', { material: Buffer.alloc(32, 1), attributes: [] });
    const set = a.generate('LIB2', 'i500');
    if (!set.generated) throw new Error('no set');
    // What a backup's snapshot holds at this moment: one key from outside, and the set's keys on top.
    const held = { loose: Number(a.store.meta('loose_keys_stored')), seq: a.store.db.prepare('SELECT max(seq) FROM keys').pluck().get() as number };
    expect(a.withdrawSet(set.setId, 'The peer did not store it.')).toBe(true);
    const later = objectsA.register('LIB1', { material: Buffer.alloc(32, 2), attributes: [] });
    // SQLite gave it a number the snapshot had.
    expect(a.store.db.prepare('SELECT seq FROM keys WHERE name = ?').pluck().get(later.uid)).toBeLessThanOrEqual(held.seq);
    a.markBackedUp([], Date.now(), held.loose);
    expect(a.tickets.list({ openOnly: true }).map((t) => t.condition)).toContain('backup-needed');
    a.markBackedUp([], Date.now(), held.loose + 1);
    expect(a.tickets.list({ openOnly: true }).map((t) => t.condition)).not.toContain('backup-needed');
  });
});
