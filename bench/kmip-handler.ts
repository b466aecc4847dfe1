/**
 * The KMIP request path without TLS or sockets: one pre-encoded KMIP 1.2 Get through
 * KmipRequestHandler.handleFrame, again and again, against a baseline measured in the
 * same run: the TTLV codec alone decoding that request and encoding the response to it,
 * so the ratio shows what the engine and the operation add to the wire work.
 * Useful with --cpu-prof to see where a Get's time goes:
 *
 *   npx tsc -p . && node dist/bench/kmip-handler.js [--seconds 2] [--keys 4096]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KeyEngine } from '../src/engine/key-engine.js';
import { Keystore } from '../src/engine/keystore.js';
import { ManagedObjects } from '../src/engine/objects.js';
import { realWorld } from '../src/engine/world.js';
import { encodeRequestMessage } from '../src/kmip/messages/index.js';
import { KmipRequestHandler } from '../src/kmip/server-handler.js';
import { Operation, Tag, decodeTtlv, encodeTtlv, structure, textString } from '../src/kmip/ttlv/index.js';
import { report } from './report.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, keys: { type: 'string', default: '4096' } } });
const SECONDS = Number(args.seconds);
const SERIAL = 'QKMBENCH1';
const LIBRARY = 'bench-lib';

const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-handler-'));
try {
  const store = Keystore.open(dir, realWorld, { create: true, serial: SERIAL });
  const engine = new KeyEngine(store, { serial: SERIAL, setSizes: { i500: 1024, i2000: Number(args.keys) }, depletionPercent: 80, requireBackup: false }, realWorld);
  engine.generate(LIBRARY, 'i2000');
  const objects = new ManagedObjects(engine);
  const handler = new KmipRequestHandler({ objects });
  const caller = { library: LIBRARY };
  const uid = objects.create(LIBRARY, { tape: 'BENCH0', attributes: [] }).uid;
  const get = encodeRequestMessage({
    header: { protocolVersion: { major: 1, minor: 2 }, batchCount: 1 },
    batchItems: [{ operation: Operation.Get, payload: structure(Tag.RequestPayload, [textString(Tag.UniqueIdentifier, uid)]) }],
  });

  /** Calls per second in the best of several rounds: on a shared machine the best round is the least disturbed. */
  const rate = (work: () => unknown): number => {
    let calls = 1000;
    let best = 0;
    const until = performance.now() + SECONDS * 1000;
    while (performance.now() < until) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) work();
      const ms = performance.now() - t0;
      best = Math.max(best, (calls * 1000) / ms);
      if (ms < 50) calls *= 2;
    }
    return best;
  };
  rate(() => handler.handleFrame(caller, get)); // warm-up: JIT and SQLite page cache
  const responseTree = decodeTtlv(handler.handleFrame(caller, get)!);
  const codec = rate(() => {
    decodeTtlv(get);
    return encodeTtlv(responseTree);
  });
  const ours = rate(() => handler.handleFrame(caller, get));
  report('handleFrame, KMIP 1.2 Get', ours, 'ops/s', { name: 'TTLV decode of the request + encode of the response', value: codec });
  console.log(`  ${(1e6 / ours).toFixed(1)} us per Get`);
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
