/**
 * Failover of the server pair (issue 12, section 4):
 *   npx tsc -p . && node dist/bench/failover.js [--rounds 10]
 *
 * The time from the primary's death (SIGKILL) to the first key served by the secondary,
 * as a simulated library sees it: its next tape write finds the primary's connection gone,
 * fails over and gets its key from the secondary. Median and worst over `--rounds`
 * deaths, against a same-run baseline: the same tape write to a live primary. Between
 * rounds the primary is started again and caught up (not counted), and a new library (one
 * that has restarted, so asks the primary first) writes one tape to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../harness/free-port.js';
import { libraryBundle, writeLibraryConfig } from '../harness/library.js';
import { type PairedQkmd, pairTwo, startPairedQkmd } from '../harness/pair.js';
import { realWorld } from '../src/engine/index.js';
import { loadLibraryConfig } from '../src/library/config.js';
import { SimulatedLibrary } from '../src/library/library.js';
import { silentLog } from '../src/logs/logger.js';
import { median, report } from './report.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '10' } } });
const ROUNDS = Number(args.rounds);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-failover-'));
const [portA, portB] = [await freePort(), await freePort()];
const env = { QKM_KEYS_I500: '2000' };
const start = (kmipPort = 0) => startPairedQkmd(path.join(tmp, 'a'), { serial: 'QKMFAILA', role: 'primary', port: portA, peerPort: portB, env: { ...env, QKM_KMIP_PORT: String(kmipPort) } });
let a: PairedQkmd | undefined;
let b: PairedQkmd | undefined;
const libraries: SimulatedLibrary[] = [];
let tape = 0;

async function write(lib: SimulatedLibrary): Promise<{ ms: number; role: string }> {
  const t0 = performance.now();
  const w = await lib.writeTape('D1', `F${String(tape++).padStart(6, '0')}L8`);
  return { ms: performance.now() - t0, role: w.server.role };
}

try {
  a = await start();
  b = await startPairedQkmd(path.join(tmp, 'b'), { serial: 'QKMFAILB', role: 'secondary', port: portB, peerPort: portA, env });
  pairTwo(a, b);
  const kmipA = a.qkmd.port;
  const bundle = await libraryBundle(a.dir, 'FAIL1', path.join(tmp, 'FAIL1.tgz'));
  const config = loadLibraryConfig(writeLibraryConfig(path.join(tmp, 'library.toml'), {
    cls: 'i500', bundle, stateDir: path.join(tmp, 'library'), ports: [kmipA, b.qkmd.port], partitions: { P1: ['D1'] },
  }));
  const open = async () => {
    const lib = await SimulatedLibrary.open(config, realWorld, silentLog);
    libraries.push(lib);
    return lib;
  };
  const first = await open();
  const enabled = await first.enableEncryption('P1');
  if (!enabled.every((o) => o.ok)) throw new Error(`enable failed: ${JSON.stringify(enabled)}`);

  const live: number[] = [];
  const failover: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const lib = await open();
    // Warm: connection open and the JIT settled, then the baseline on the live primary.
    for (let i = 0; i < 3; i++) await write(lib);
    for (let i = 0; i < 5; i++) {
      const w = await write(lib);
      if (w.role !== 'primary') throw new Error('the baseline write did not go to the primary');
      live.push(w.ms);
    }
    const t0 = performance.now();
    a.qkmd.child.kill('SIGKILL');
    const w = await write(lib);
    const ms = performance.now() - t0;
    if (w.role !== 'secondary') throw new Error('the first key after the death did not come from the secondary');
    failover.push(ms);
    await a.qkmd.exited;
    lib.close();
    a = await start(kmipA);
  }
  console.log(`failover: ${ROUNDS} deaths of the primary (SIGKILL) under a library writing one tape at a time; two qkmd on loopback`);
  report('primary death -> first key from secondary, median', median(failover), 'ms', { name: 'a write to a live primary', value: median(live) });
  report('  worst', Math.max(...failover), 'ms', { name: 'worst live write', value: Math.max(...live) });
  console.log(`  rounds: ${failover.map((x) => x.toFixed(1)).join(', ')} ms`);
} finally {
  for (const l of libraries) l.close();
  await Promise.all([a?.qkmd.stop(), b?.qkmd.stop()]);
  rmSync(tmp, { recursive: true, force: true });
}
