import { afterEach, beforeEach, expect, it } from 'vitest';
import { GroupCommit } from '../../src/engine/group-commit.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
let engine: KeyEngine;
let group: GroupCommit;
let durableTransactions: number;
beforeEach(() => {
  dir = tempDir();
  engine = openEngine(dir, { requireBackup: false });
  group = new GroupCommit(engine.store.db);
  // Count BEGIN IMMEDIATE ... COMMIT pairs: each is one durable commit (one fsync).
  durableTransactions = 0;
  const db = engine.store.db;
  const original = db.transaction.bind(db);
  db.transaction = ((fn: (...a: unknown[]) => unknown) => {
    const t = original(fn);
    return Object.assign((...a: unknown[]) => t(...a), {
      ...t,
      immediate: (...a: unknown[]) => {
        if (!db.inTransaction) durableTransactions++; // nested ones are savepoints
        return t.immediate(...a);
      },
    });
  }) as unknown as typeof db.transaction;
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
});

const allocate = (tape: string, library = 'LIB') => group.run(() => engine.allocate({ library, tape }));

it('concurrent callers share one commit yet each gets its own key', async () => {
  engine.generate('LIB', 'i2000'); // 256 keys
  durableTransactions = 0;
  const got = await Promise.all(Array.from({ length: 200 }, (_, i) => allocate(`T${i}`)));
  expect(new Set(got.map((a) => a.name)).size).toBe(200);
  for (const a of got) expect(engine.lookup(a.name).tape).toBe(a.tape);
  expect(durableTransactions).toBe(1); // all 200 arrived in one turn
});

it('a refusal or a throw reaches only its own caller and undoes only its own work', async () => {
  engine.generate('LIB', 'i500');
  const results = await Promise.allSettled([
    allocate('T1'),
    allocate('T2', 'NOPE'),
    group.run(() => {
      engine.allocate({ library: 'LIB', tape: 'T3' });
      throw new Error('the caller failed after allocating'); // its allocation must roll back
    }),
    allocate('T4'),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  expect((results[1] as PromiseRejectedResult).reason.code).toBe('NO_KEY_SET');
  expect(engine.status()[0]!.used).toBe(2);
  expect(engine.store.db.prepare("SELECT tape FROM keys WHERE state = 'allocated' ORDER BY seq").pluck().all()).toEqual(['T1', 'T4']);
});
