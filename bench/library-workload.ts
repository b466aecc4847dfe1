/**
 * The simulated tape library's workload against one standalone qkmd (issue 12, section 4;
 * the pair's figure comes with the pair):
 *   npx tsc -p . && node dist/bench/library-workload.js [--tapes 2000] [--drives 8] [--rounds 3]
 *
 * Tape writes per second with `--drives` drives at once (each write: Create with the tape's
 * key identifier and barcode, Get, Key Usage, one request; the key durable before the
 * answer; the tape recorded durably in the library's own SQLite file), against a baseline
 * measured in the same run: the same library writing with one drive. Rounds alternate so
 * that a disturbance of the shared machine lands on both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { libraryBundle, startKeyServer, writeLibraryConfig } from '../harness/library.js';
import { realWorld } from '../src/engine/index.js';
import { loadLibraryConfig } from '../src/library/config.js';
import { SimulatedLibrary } from '../src/library/library.js';
import { runWorkload } from '../src/library/workload.js';
import { silentLog } from '../src/logs/logger.js';
import { median, report } from './report.js';

const { values: args } = parseArgs({
  options: {
    tapes: { type: 'string', default: '2000' },
    drives: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
  },
});
const tapes = Number(args.tapes);
const drives = Number(args.drives);
const rounds = Number(args.rounds);
const single = Math.max(50, Math.round(tapes / drives));

const root = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-library-'));
// Sets big enough that the 80 % rule never fires during the run (it would add generation to the figure).
const setSize = Math.ceil(((tapes + single) * rounds * 100) / 70);
const server = await startKeyServer(path.join(root, 'a'), { QKM_KEYS_REQUIRE_BACKUP: 'false', QKM_KEYS_I2000: String(setSize) });
try {
  const bundle = await libraryBundle(server.dataDir, 'BENCH1', path.join(root, 'BENCH1.tgz'));
  const config = writeLibraryConfig(path.join(root, 'library.toml'), {
    cls: 'i2000', bundle, stateDir: path.join(root, 'library'), ports: [server.port],
    partitions: { P1: Array.from({ length: drives }, (_, i) => `D${i + 1}`) },
  });
  const lib = await SimulatedLibrary.open(loadLibraryConfig(config), realWorld, silentLog);
  await lib.enableEncryption('P1');
  await runWorkload(lib, { tapes: 50, drives, read: false }); // warm-up: connections, JIT, caches

  const many: number[] = [];
  const one: number[] = [];
  for (let r = 0; r < rounds; r++) {
    one.push((await runWorkload(lib, { tapes: single, drives: 1, read: false })).writesPerSecond);
    many.push((await runWorkload(lib, { tapes, drives, read: false })).writesPerSecond);
  }
  lib.close();
  console.log(`library workload: ${rounds} rounds of ${tapes} tapes on ${drives} drives and ${single} on one, one standalone qkmd`);
  report(`tape writes/s, ${drives} drives, one server`, median(many), 'tapes/s', { name: 'one drive', value: median(one) });
  console.log(`  rounds: ${drives} drives ${many.map((x) => x.toFixed(0)).join(', ')}; one drive ${one.map((x) => x.toFixed(0)).join(', ')}`);
} finally {
  await server.process.stop();
  rmSync(root, { recursive: true, force: true });
}
