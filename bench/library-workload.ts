/**
 * The simulated tape library's workload (issue 12, section 4):
 *   npx tsc -p . && node dist/bench/library-workload.js [--tapes 2000] [--drives 8] [--rounds 3]
 *
 * Tape writes per second with `--drives` drives at once (each write: Create with the tape's
 * key identifier and barcode, Get, Key Usage, one request; the key durable before the
 * answer; the tape recorded durably in the library's own SQLite file), on one standalone
 * qkmd against the same library writing with one drive, and on a server pair (each
 * allocation journaled and replicated to the peer) against the standalone server: the
 * cost of replication. Rounds alternate so that a disturbance of the shared machine lands
 * on each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../harness/free-port.js';
import { libraryBundle, startKeyServer, writeLibraryConfig } from '../harness/library.js';
import { type PairedQkmd, pairTwo, startPairedQkmd } from '../harness/pair.js';
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
const env = { QKM_KEYS_REQUIRE_BACKUP: 'false', QKM_KEYS_I2000: String(setSize) };
const server = await startKeyServer(path.join(root, 'a'), env);
const pair: PairedQkmd[] = [];
try {
  const [portA, portB] = [await freePort(), await freePort()];
  pair.push(await startPairedQkmd(path.join(root, 'pa'), { serial: 'QKMBENPA', role: 'primary', port: portA, peerPort: portB, env }));
  pair.push(await startPairedQkmd(path.join(root, 'pb'), { serial: 'QKMBENPB', role: 'secondary', port: portB, peerPort: portA, env }));
  pairTwo(pair[0]!, pair[1]!);
  const library = async (name: string, dataDir: string, ports: number[]) => {
    const bundle = await libraryBundle(dataDir, name, path.join(root, `${name}.tgz`));
    const config = writeLibraryConfig(path.join(root, `${name}.toml`), {
      cls: 'i2000', bundle, stateDir: path.join(root, name), ports,
      partitions: { P1: Array.from({ length: drives }, (_, i) => `D${i + 1}`) },
    });
    const lib = await SimulatedLibrary.open(loadLibraryConfig(config), realWorld, silentLog);
    const enabled = await lib.enableEncryption('P1');
    if (!enabled.every((o) => o.ok)) throw new Error(`enable failed: ${JSON.stringify(enabled)}`);
    await runWorkload(lib, { tapes: 50, drives, read: false }); // warm-up: connections, JIT, caches
    return lib;
  };
  const lib = await library('BENCH1', server.dataDir, [server.port]);
  const paired = await library('BENCH2', pair[0]!.dir, [pair[0]!.qkmd.port, pair[1]!.qkmd.port]);

  const many: number[] = [];
  const one: number[] = [];
  const onPair: number[] = [];
  for (let r = 0; r < rounds; r++) {
    one.push((await runWorkload(lib, { tapes: single, drives: 1, read: false })).writesPerSecond);
    many.push((await runWorkload(lib, { tapes, drives, read: false })).writesPerSecond);
    onPair.push((await runWorkload(paired, { tapes, drives, read: false })).writesPerSecond);
  }
  lib.close();
  paired.close();
  console.log(`library workload: ${rounds} rounds of ${tapes} tapes on ${drives} drives and ${single} on one, one standalone qkmd and a pair`);
  report(`tape writes/s, ${drives} drives, one server`, median(many), 'tapes/s', { name: 'one drive', value: median(one) });
  report(`tape writes/s, ${drives} drives, a server pair`, median(onPair), 'tapes/s', { name: `${drives} drives, one server`, value: median(many) });
  console.log(`  rounds: ${drives} drives ${many.map((x) => x.toFixed(0)).join(', ')}; one drive ${one.map((x) => x.toFixed(0)).join(', ')}; pair ${onPair.map((x) => x.toFixed(0)).join(', ')}`);
} finally {
  await server.process.stop();
  for (const p of pair) await p.qkmd.stop();
  rmSync(root, { recursive: true, force: true });
}
