/**
 * Key engine figures (issue 2, section 7):
 *   node dist/bench/engine.js [--keys 1000000] [--sets 15]
 * - one durable 4096-key set vs. 4096 raw randomBytes(32) + plain SQLite inserts
 * - durable allocations per second vs. plain durable single-row inserts
 * - with a 1,000,000-key keystore: backup, restore, full check, qkmd RSS, each against
 *   a bare equivalent (file copy, plain scan, idle Node process), and the backup again
 *   while another process allocates continuously, against the idle one
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { takeBackup } from '../src/engine/backup.js';
import { type BackupKey, createShareKey } from '../src/engine/backup-seal.js';
import { GroupCommit } from '../src/engine/group-commit.js';
import { checkKeystore } from '../src/engine/integrity.js';
import { KeyEngine, type EngineSettings } from '../src/engine/key-engine.js';
import { DB_FILE, Keystore } from '../src/engine/keystore.js';
import { restoreBackup } from '../src/engine/restore.js';
import { realWorld } from '../src/engine/world.js';
import { PACKAGE_ROOT } from '../src/config/config.js';
import { median, report } from './report.js';

const { values: args } = parseArgs({ options: { keys: { type: 'string', default: '1000000' }, sets: { type: 'string', default: '15' } } });
const MILLION = Number(args.keys);
const SETS = Number(args.sets);
const SERIAL = 'QKMBENCH1';
const LOAD = 'LOAD';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-'));
const ms = (t0: number) => performance.now() - t0;

function engineAt(dir: string, settings: Partial<EngineSettings> = {}): KeyEngine {
  const store = Keystore.open(dir, realWorld, { create: true, serial: SERIAL });
  return new KeyEngine(store, { serial: SERIAL, setSizes: { i500: 1024, i2000: 4096 }, depletionPercent: 80, requireBackup: false, ...settings }, realWorld);
}

function durableDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

async function setGeneration(): Promise<void> {
  const engine = engineAt(path.join(tmp, 'sets'));
  const base = durableDb(path.join(tmp, 'baseline-sets.db'));
  base.exec('CREATE TABLE k (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, material BLOB NOT NULL)');
  const ins = base.prepare('INSERT INTO k (name, material) VALUES (?, ?)');
  const ours: number[] = [];
  const bare: number[] = [];
  await engine.generateInParallel('WARMUP', 'i500'); // starts the sealing workers, as a running qkmcmds would have
  // Interleaved, so both see the same machine weather.
  for (let i = 0; i < SETS; i++) {
    let t0 = performance.now();
    base.transaction(() => {
      for (let k = 0; k < 4096; k++) ins.run(`${SERIAL}-${i}-${k}`, randomBytes(32));
    })();
    bare.push(ms(t0));
    t0 = performance.now();
    await engine.generateInParallel(`LIB${i}`, 'i2000');
    ours.push(ms(t0));
  }
  report('durable 4096-key set (median)', median(ours), 'ms', { name: 'raw randomBytes+insert', value: median(bare) }, '<= 50 ms');
  base.close();
  engine.store.close();
}

async function allocations(): Promise<void> {
  const engine = engineAt(path.join(tmp, 'alloc'), { setSizes: { i500: 1024, i2000: 20_000 } });
  engine.generate('LIB', 'i2000');
  const base = durableDb(path.join(tmp, 'baseline-alloc.db'));
  base.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, tape TEXT NOT NULL)');
  const ins = base.prepare('INSERT INTO t (tape) VALUES (?)');
  const N = 5000;
  let t0 = performance.now();
  for (let i = 0; i < N; i++) ins.run(`T${i}`); // each its own durable transaction
  const bareRate = N / (ms(t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < N; i++) engine.allocate({ library: 'LIB', tape: `T${i}` });
  const rate = N / (ms(t0) / 1000);
  report('durable allocations, one caller', rate, '/s', { name: 'plain durable insert', value: bareRate });
  // What the key server sees: many libraries' drives asking at once, sharing commits.
  const group = new GroupCommit(engine.store.db);
  t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < N) {
      const tape = `Q${next++}`;
      await group.run(() => engine.allocate({ library: 'LIB', tape }));
    }
  }));
  report('durable allocations, 64 callers', N / (ms(t0) / 1000), '/s', { name: 'plain durable insert', value: bareRate }, '>= 5000/s');
  base.close();
  engine.store.close();
}

async function million(): Promise<void> {
  const dir = path.join(tmp, 'million');
  const perSet = 100_000;
  const engine = engineAt(dir, { setSizes: { i500: 1024, i2000: perSet } });
  let t0 = performance.now();
  for (let i = 0; i < Math.ceil(MILLION / perSet) - 1; i++) await engine.generateInParallel(`BIG${i}`, 'i2000');
  await engine.generateInParallel(LOAD, 'i2000'); // the library that writes tapes during the second backup
  console.log(`(built a ${engine.status().reduce((n, s) => n + s.total, 0)}-key keystore in ${(ms(t0) / 1000).toFixed(1)} s)`);
  const dbFile = path.join(engine.store.dir, DB_FILE);

  t0 = performance.now();
  let scanned = 0;
  for (const _ of engine.store.db.prepare('SELECT name, sealed FROM keys').raw().iterate()) scanned++;
  const scan = ms(t0);
  t0 = performance.now();
  const r = await checkKeystore(engine.store);
  const check = ms(t0);
  if (r.problems.length || r.keysChecked !== scanned) throw new Error('check found problems in a fresh keystore');
  report('full check, 1M keys', check / 1000, 's', { name: 'plain scan', value: scan / 1000 }, '<= 5 s');

  engine.store.db.pragma('wal_checkpoint(TRUNCATE)');
  t0 = performance.now();
  copyFileSync(dbFile, path.join(tmp, 'copy.db'));
  const copy = ms(t0);
  const out = path.join(tmp, 'backups');
  (await import('node:fs')).mkdirSync(out);
  t0 = performance.now();
  // Sealed to 2-of-3 shares, as an administrator would set it up; restore rebuilds the key.
  const { key: backupKey, shares } = await createShareKey({ threshold: 2, count: 3 }, realWorld);
  const b = await takeBackup(engine, realWorld, { toDir: out, backupKey });
  const backup = ms(t0);
  report('backup, 1M keys', backup / 1000, 's', { name: 'file copy of the db', value: copy / 1000 }, '<= 10 s');
  await backupUnderLoad(engine, out, backup, backupKey);
  engine.store.close();

  t0 = performance.now();
  await restoreBackup({ dataDir: path.join(tmp, 'restored'), appFile: b.appFile, dataFile: b.dataFile, serial: SERIAL, world: realWorld, unlock: async () => ({ shares: shares.slice(1) }) });
  const restore = ms(t0);
  report('restore, 1M keys', restore / 1000, 's', { name: 'file copy of the db', value: copy / 1000 }, '<= 10 s');

  const rss = await rssOf([path.join(PACKAGE_ROOT, 'bin', 'qkmd.js'), '--data-dir', dir], 'running;');
  const idle = await rssOf(['-e', 'console.log("running;"); setInterval(() => {}, 1e6)'], 'running;');
  report('qkmd RSS, 1M-key keystore', rss / 1024, 'MB', { name: 'idle node process', value: idle / 1024 }, '<= 150 MB');
}

/**
 * The same backup while a library writes tapes as fast as the keystore commits them (a
 * separate process, one durable allocation after another): against the idle backup above,
 * and the allocation rate during it against the rate without a backup.
 */
async function backupUnderLoad(engine: KeyEngine, out: string, idleMs: number, backupKey: BackupKey): Promise<void> {
  const used = engine.store.db.prepare('SELECT local_used FROM libraries WHERE name = ?').pluck();
  const allocated = () => used.get(LOAD) as number;
  const writer = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist', 'test', 'workers', 'engine-worker.js'), path.dirname(engine.store.dir), 'allocate', LOAD, '100000000'], { stdio: 'ignore' });
  try {
    const settle = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
    while (allocated() === 0) await settle(0.05);
    await settle(1);
    let n0 = allocated();
    let t0 = performance.now();
    await settle(3);
    const quietRate = (allocated() - n0) / (ms(t0) / 1000);
    n0 = allocated();
    t0 = performance.now();
    await takeBackup(engine, realWorld, { toDir: out, backupKey });
    const loaded = ms(t0);
    const duringRate = (allocated() - n0) / (loaded / 1000);
    report('backup, 1M keys, beside a writing library', loaded / 1000, 's', { name: 'the same backup idle', value: idleMs / 1000 }, '<= idle + 5 s');
    report('allocations during that backup', duringRate, '/s', { name: 'without a backup', value: quietRate });
  } finally {
    writer.kill('SIGKILL');
  }
}

/** Starts a process, waits for its ready line, reads VmRSS (kB) a moment later, stops it. */
function rssOf(argv: string[], ready: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, QKM_KMIP_PORT: '0' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes(ready)) return;
      out = '';
      setTimeout(() => {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
        child.kill('SIGTERM');
        resolve(kb);
      }, 1500);
    });
    child.on('error', reject);
  });
}

try {
  console.log(`qkm engine bench (${os.cpus().length} cores, node ${process.version})`);
  await setGeneration();
  await allocations();
  if (MILLION > 0) await million();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
