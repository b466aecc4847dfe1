/**
 * What a Prometheus scrape of qkmd costs with 1,000,000 keys in 100 libraries, against
 * a status.json-like baseline in the same run: the same readings (keys per library by
 * state, the last backup, open tickets, the pair's lag, the software slots) written as
 * one JSON document, as the status page's document will be. Then the scrape end to end,
 * from a running qkmd over its control socket (as `qkmcmds metrics` asks), against a
 * control request that reads nothing (`key-service status`): the socket's own cost.
 *
 *   npx tsc -p . && node dist/bench/metrics.js [--keys 1000000] [--libraries 100] [--rounds 40]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { softwareStatus } from '../src/admin/update.js';
import { PACKAGE_ROOT } from '../src/config/config.js';
import { controlRequest } from '../src/control/client.js';
import { KeyEngine } from '../src/engine/key-engine.js';
import { Keystore } from '../src/engine/keystore.js';
import { realWorld } from '../src/engine/world.js';
import { startQkmdProcess } from '../harness/qkmd.js';
import { type MetricsSources, createMetrics } from '../src/metrics/index.js';
import { peerLag } from '../src/pair/status.js';
import { median, percentile, report } from './report.js';

const { values: args } = parseArgs({ options: { keys: { type: 'string', default: '1000000' }, libraries: { type: 'string', default: '100' }, rounds: { type: 'string', default: '40' } } });
const KEYS = Number(args.keys);
const LIBRARIES = Number(args.libraries);
const ROUNDS = Number(args.rounds);
const SERIAL = 'QKMBENCH1';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-metrics-'));
const ms = (t0: number) => performance.now() - t0;
const SIZE = `${KEYS >= 1e6 ? `${KEYS / 1e6}M` : `${KEYS / 1e3}k`} keys / ${LIBRARIES} libraries`;

/** Times `a` and `b` in alternating rounds, so that both see the same machine weather. */
async function alternate(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number[], number[]]> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now();
    await a();
    ta.push(ms(t0));
    t0 = performance.now();
    await b();
    tb.push(ms(t0));
  }
  return [ta, tb];
}

function sourcesOver(engine: KeyEngine): MetricsSources {
  return {
    keys: () => engine.status(),
    lastBackupAt: () => engine.lastBackupAt(),
    // The agent's last pass is a value in memory; the hardware is not what this measures.
    hardware: () => ({ raid: { state: 'clean', array: 'md0', percent: null, finishSec: null }, disks: [0, 1].map((bay) => ({ bay, present: true, serial: `SIM${bay}`, smartPassed: true, temperatureC: 34 })) }),
    tickets: () => engine.tickets.list({ openOnly: true }),
    replication: () => engine.journal.peers().map((p) => ({ peer: p.name, ...peerLag(engine.journal, p, realWorld.now()) })),
    software: () => softwareStatus({ dataDir, baseDir: PACKAGE_ROOT }),
    now: () => realWorld.now(),
  };
}

try {
  console.log(`qkm metrics bench (${os.cpus().length} cores, node ${process.version})`);
  const store = Keystore.open(dataDir, realWorld, { create: true, serial: SERIAL });
  const perLibrary = Math.ceil(KEYS / LIBRARIES);
  const engine = new KeyEngine(store, { serial: SERIAL, setSizes: { i500: 1024, i2000: perLibrary }, depletionPercent: 80, requireBackup: true }, realWorld);
  const library = (i: number) => `LIB${String(i).padStart(3, '0')}`;
  const t0 = performance.now();
  for (let i = 0; i < LIBRARIES; i++) await engine.generateInParallel(library(i), 'i2000');
  console.log(`(built ${engine.status().reduce((n, s) => n + s.total, 0)} keys in ${LIBRARIES} libraries in ${(ms(t0) / 1000).toFixed(1)} s)`);

  const sources = sourcesOver(engine);
  const metrics = createMetrics({ sources });
  const statusDocument = async () =>
    JSON.stringify({ keys: sources.keys(), lastBackupAt: sources.lastBackupAt(), hardware: sources.hardware(), tickets: sources.tickets(), replication: sources.replication(), software: sources.software() });
  const measure = async (when: string) => {
    const [scrape, document] = await alternate(() => metrics.render(), statusDocument);
    report(`/metrics render, ${when} (median)`, median(scrape), 'ms', { name: 'status.json-like document', value: median(document) });
    report(`/metrics render, ${when} (p99)`, percentile(scrape, 99), 'ms', { name: 'status.json-like document', value: percentile(document, 99) });
  };
  // The worst case: every key waits for the first backup, and each is counted.
  await measure(`${SIZE}, all pending backup`);
  // The usual day: backed up, a tenth of the libraries with a new set waiting for the next backup, tapes written.
  const sets = store.db.prepare('SELECT id FROM key_sets ORDER BY id').pluck().all() as number[];
  engine.markBackedUp(sets.slice(0, Math.ceil(sets.length * 0.9)), realWorld.now());
  for (let i = 0; i < LIBRARIES * 0.9; i += 7) for (let k = 0; k < 10; k++) engine.allocate({ library: library(i), tape: `T${i}-${k}` });
  await measure(`${SIZE}, a tenth pending`);
  console.log(`  ${(await metrics.render()).body.length} bytes of exposition text`);
  store.close();

  const qkmd = await startQkmdProcess({ args: ['--data-dir', dataDir], timeoutMs: 120_000 });
  try {
    const [socket, floor] = await alternate(() => controlRequest(dataDir, { op: 'metrics' }), () => controlRequest(dataDir, { op: 'key-service', action: 'status' }));
    report('scrape from qkmd over its control socket (median)', median(socket), 'ms', { name: 'a control request reading nothing', value: median(floor) }, '< 100 ms');
    report('scrape from qkmd over its control socket (p99)', percentile(socket, 99), 'ms', { name: 'a control request reading nothing', value: percentile(floor, 99) });
  } finally {
    qkmd.child.kill('SIGTERM');
    await qkmd.exited;
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
