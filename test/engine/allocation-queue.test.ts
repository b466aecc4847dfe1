import { afterEach, beforeEach, expect, it } from 'vitest';
import { AllocationQueue } from '../../src/engine/allocation-queue.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

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

it('concurrent callers share commits yet each gets its own key', async () => {
  engine.generate('LIB', 'i2000'); // 256 keys
  const queue = new AllocationQueue(engine);
  let transactions = 0;
  const original = engine.allocateBatch.bind(engine);
  engine.allocateBatch = (reqs) => {
    transactions++;
    return original(reqs);
  };
  const got = await Promise.all(Array.from({ length: 200 }, (_, i) => queue.allocate({ library: 'LIB', tape: `T${i}` })));
  expect(new Set(got.map((a) => a.name)).size).toBe(200);
  expect(transactions).toBe(1); // all 200 arrived in one turn: one durable commit
  for (const a of got) expect(engine.lookup(a.name).tape).toBe(a.tape);
});

it('a refusal reaches only its own caller', async () => {
  engine.generate('LIB', 'i500');
  const queue = new AllocationQueue(engine);
  const results = await Promise.allSettled([
    queue.allocate({ library: 'LIB', tape: 'T1' }),
    queue.allocate({ library: 'NOPE', tape: 'T2' }),
    queue.allocate({ library: 'LIB', tape: 'bad tape' }),
    queue.allocate({ library: 'LIB', tape: 'T3' }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  expect((results[1] as PromiseRejectedResult).reason.code).toBe('NO_KEY_SET');
  expect((results[2] as PromiseRejectedResult).reason.code).toBe('BAD_TAPE');
  expect(engine.status()[0]!.used).toBe(2);
});
