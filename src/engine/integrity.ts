import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Keystore } from './keystore.js';
import type { Progress } from './key-engine.js';
import type { CheckReport, Problem } from './check-report.js';
import { checkObjects } from './object-integrity.js';
import { type ScanResult, scanRecords } from './record-scan.js';
import type { ScanJob } from './record-scan-worker.js';

export type { CheckReport, Problem } from './check-report.js';

/** Below this many keys one thread is quicker than starting workers. */
const PARALLEL_FROM_KEYS = 20_000;
const WORKER_FILE = new URL('./record-scan-worker.js', import.meta.url);

/**
 * The Config Test: proves every key record is the one we wrote (its MAC), that sets are
 * whole, that the depletion counters match the records, that KMIP objects agree with
 * their keys, and that SQLite itself is sound. On a large keystore the record scan runs
 * in worker threads while this thread does SQLite's own check.
 */
export async function checkKeystore(store: Keystore, onProgress?: Progress): Promise<CheckReport> {
  const db = store.db;
  const { lo, hi, total } = db.prepare('SELECT MIN(seq) AS lo, MAX(seq) AS hi, COUNT(*) AS total FROM keys').get() as { lo: number | null; hi: number | null; total: number };
  const ranges = splitRange(lo ?? 0, hi ?? -1, total);
  const done = new Array<number>(ranges.length).fill(0);
  const progress = (i: number, checked: number) => {
    done[i] = checked;
    onProgress?.(done.reduce((a, b) => a + b, 0), total);
  };
  const scans = ranges.length > 1
    ? Promise.all(ranges.map((r, i) => scanInWorker(store, r, (n) => progress(i, n))))
    : Promise.resolve(ranges.map((r) => scanRecords(db, store.keys.records, r, (n) => progress(0, n))));

  const problems: Problem[] = [];
  const quick = db.pragma('quick_check', { simple: false }) as { quick_check: string }[];
  for (const r of quick) if (r.quick_check !== 'ok') problems.push({ subject: 'database', problem: r.quick_check });
  const scanned = await scans;
  onProgress?.(total, total);
  const tombstones = new Set<number>();
  const perSet = new Map<number, number>();
  const perLibrary = new Map<number, { total: number; used: number }>();
  let checked = 0;
  for (const s of scanned) {
    checked += s.checked;
    problems.push(...s.problems);
    for (const seq of s.tombstones) tombstones.add(seq);
    for (const [id, n] of s.perSet) perSet.set(id, (perSet.get(id) ?? 0) + n);
    for (const [id, c] of s.perLibrary) {
      const sum = perLibrary.get(id) ?? { total: 0, used: 0 };
      perLibrary.set(id, { total: sum.total + c.total, used: sum.used + c.used });
    }
  }

  const sets = db.prepare('SELECT s.id, s.nonce, s.size, l.name AS library FROM key_sets s JOIN libraries l ON l.id = s.library_id')
    .all() as { id: number; nonce: string; size: number; library: string }[];
  for (const s of sets) {
    const n = perSet.get(s.id) ?? 0;
    if (n !== s.size) problems.push({ subject: `set ${s.nonce} of ${s.library}`, problem: `holds ${n} keys, expected ${s.size}` });
  }
  const libraries = db.prepare('SELECT id, name, local_total, local_used FROM libraries')
    .all() as { id: number; name: string; local_total: number; local_used: number }[];
  for (const l of libraries) {
    const { total, used } = perLibrary.get(l.id) ?? { total: 0, used: 0 };
    if (l.local_total !== total || l.local_used !== used) {
      problems.push({ subject: `library ${l.name}`, problem: `counters say ${l.local_used} of ${l.local_total} used, records say ${used} of ${total}` });
    }
  }
  problems.push(...checkObjects(db, tombstones));
  return { keysChecked: checked, problems };
}

function splitRange(lo: number, hi: number, total: number): { fromSeq: number; toSeq: number }[] {
  const parts = total >= PARALLEL_FROM_KEYS && existsSync(WORKER_FILE) ? Math.min(availableParallelism(), 4) : 1;
  if (parts <= 1) return [{ fromSeq: lo, toSeq: hi }];
  const step = Math.ceil((hi - lo + 1) / parts);
  return Array.from({ length: parts }, (_, i) => ({ fromSeq: lo + i * step, toSeq: Math.min(hi, lo + (i + 1) * step - 1) }));
}

function scanInWorker(store: Keystore, range: { fromSeq: number; toSeq: number }, onProgress: (n: number) => void): Promise<ScanResult> {
  return new Promise((resolve, reject) => {
    const job: ScanJob = { dbFile: store.db.name, keys: store.keys.records, ...range };
    const worker = new Worker(WORKER_FILE, { workerData: job });
    worker.on('message', (m: { progress?: number; result?: ScanResult }) => {
      if (m.result) resolve(m.result);
      else if (m.progress !== undefined) onProgress(m.progress);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0) reject(new Error(`record scan worker exited with ${code}`));
    });
  });
}
