/**
 * The server pair (issue 12, section 4):
 *   node dist/bench/pair.js [--sets 15]
 * - a 4096-key set generated on a server that is one of a pair, until the peer has
 *   durably stored its copy and acknowledged it (when the set becomes usable), against the
 *   same set generated on a standalone server, in turns in the same run. Two real qkmd
 *   processes on loopback replicate; the generation runs in this process, as qkmcmds
 *   keys generate does it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../harness/free-port.js';
import { type PairedQkmd, pairTwo, startPairedQkmd } from '../harness/pair.js';
import { KeyEngine, Keystore, realWorld } from '../src/engine/index.js';
import { median, percentile, report } from './report.js';

const { values: args } = parseArgs({ options: { sets: { type: 'string', default: '15' } } });
const SETS = Number(args.sets);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-pair-'));

function engineOf(dir: string, serial: string): KeyEngine {
  return new KeyEngine(Keystore.open(dir, realWorld, { create: true, serial }), { serial, setSizes: { i500: 1024, i2000: 4096 }, depletionPercent: 80, requireBackup: false }, realWorld);
}

/** One set on `engine`; with peers, until every peer holds it (what makes it usable). */
async function timeSet(engine: KeyEngine, library: string): Promise<number> {
  const t0 = performance.now();
  const r = engine.generate(library, 'i2000');
  if (!r.generated) throw new Error(`no set for ${library}`);
  if (engine.journal.peers().length > 0) {
    while (!engine.isReplicated(r.setId)) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - t0;
}

const [portA, portB] = [await freePort(), await freePort()];
const servers: PairedQkmd[] = [];
try {
  servers.push(
    await startPairedQkmd(path.join(tmp, 'a'), { serial: 'QKMBENCHA', role: 'primary', port: portA, peerPort: portB }),
    await startPairedQkmd(path.join(tmp, 'b'), { serial: 'QKMBENCHB', role: 'secondary', port: portB, peerPort: portA }),
  );
  const [a, b] = servers as [PairedQkmd, PairedQkmd];
  pairTwo(a, b);
  const alone = engineOf(path.join(tmp, 'alone'), 'QKMBENCHS');
  const paired = engineOf(a.dir, 'QKMBENCHA');
  // Warm-up of both paths (JIT, first TLS handshakes), not counted.
  await timeSet(alone, 'WARM');
  await timeSet(paired, 'WARM');
  const pair: number[] = [];
  const single: number[] = [];
  for (let i = 0; i < SETS; i++) {
    // In turns, so that a disturbance of the shared machine lands on both alike.
    single.push(await timeSet(alone, `LIB${i}`));
    pair.push(await timeSet(paired, `LIB${i}`));
  }
  const standalone = { name: 'standalone server', value: median(single) };
  report('4096-key set on a pair (until the peer holds it)', median(pair), 'ms', standalone, '<= 250 ms');
  report('  p90', percentile(pair, 90), 'ms', { name: 'standalone p90', value: percentile(single, 90) });
  alone.store.close();
  paired.store.close();
} finally {
  await Promise.all(servers.map((s) => s.qkmd.stop()));
  rmSync(tmp, { recursive: true, force: true });
}
