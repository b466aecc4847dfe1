/**
 * Locate by Application Specific Information in a keystore of 1,000,000 keys
 * (issue 3, section 4):
 *   npx tsc -p . && node dist/bench/locate.js [--keys 1000000] [--allocated 1000000] [--samples 5000]
 *
 * Builds the keystore through the engine (one set of --keys keys, then --allocated of them
 * handed out by Create with a tape key identifier and barcode each), then times Locate:
 * - server time: the handler's whole path, request bytes in to response bytes out
 *   (decode, Locate through the index, encode), for a pre-encoded request per lookup;
 * - the object store's locate() alone;
 * against a baseline measured in the same run on the same database: a plain indexed
 * SQLite SELECT of one key row by primary key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FieldTag, type NewAttribute } from '../src/engine/object-model.js';
import { ManagedObjects } from '../src/engine/objects.js';
import { KeyEngine } from '../src/engine/key-engine.js';
import { Keystore } from '../src/engine/keystore.js';
import { realWorld } from '../src/engine/world.js';
import { attributesForVersion, decodeResponseMessage, encodeRequestMessage } from '../src/kmip/messages/index.js';
import { KmipRequestHandler } from '../src/kmip/server-handler.js';
import { Operation, Tag, findChildren, structure } from '../src/kmip/ttlv/index.js';
import { median, percentile, report } from './report.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    allocated: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '5000' },
  },
});
const KEYS = Number(args.keys);
const ALLOCATED = Math.min(KEYS, Number(args.allocated));
const SAMPLES = Number(args.samples);
const SERIAL = 'QKMBENCH1';
const LIBRARY = 'LIB1';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-locate-'));
const version = { major: 1, minor: 4 };

const kad = (i: number) => i.toString(16).toUpperCase().padStart(24, '0');
const asi = (i: number): NewAttribute => ({
  name: 'Application Specific Information',
  value: { type: 'Structure', value: [
    { tag: FieldTag.ApplicationNamespace, type: 'TextString', value: 'LIBRARY-LTO' },
    { tag: FieldTag.ApplicationData, type: 'TextString', value: kad(i) },
  ] },
});
const barcode = (i: number): NewAttribute => ({
  name: 'Alternative Name',
  value: { type: 'Structure', value: [{ tag: FieldTag.AlternativeNameValue, type: 'TextString', value: `T${String(i).padStart(6, '0')}L8` }] },
});

function build(): { engine: KeyEngine; objects: ManagedObjects; uids: string[] } {
  const store = Keystore.open(tmp, realWorld, { create: true, serial: SERIAL });
  const engine = new KeyEngine(store, { serial: SERIAL, setSizes: { i500: 1024, i2000: KEYS }, depletionPercent: 100, requireBackup: false }, realWorld);
  let t0 = performance.now();
  engine.generate(LIBRARY, 'i2000');
  console.log(`set of ${KEYS} keys generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const objects = new ManagedObjects(engine);
  // Setup only: durability is not what is measured here, and a million fsyncs would take hours.
  store.db.pragma('synchronous = OFF');
  const uids = new Array<string>(ALLOCATED);
  t0 = performance.now();
  for (let from = 0; from < ALLOCATED; from += 10_000) {
    objects.transaction(() => {
      for (let i = from; i < Math.min(ALLOCATED, from + 10_000); i++) {
        uids[i] = objects.create(LIBRARY, { tape: `T${String(i).padStart(6, '0')}L8`, attributes: [asi(i), barcode(i)] }).uid;
      }
    });
  }
  store.db.pragma('synchronous = FULL');
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.db.exec('ANALYZE');
  console.log(`${ALLOCATED} keys allocated by Create with their tape attributes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { engine, objects, uids };
}

function locateRequest(i: number): Uint8Array {
  return encodeRequestMessage({
    header: { protocolVersion: version, batchCount: 1 },
    batchItems: [{ operation: Operation.Locate, payload: structure(Tag.RequestPayload, attributesForVersion([{ name: asi(i).name, value: asi(i).value }], version)) }],
  });
}

function main(): void {
  const { engine, objects, uids } = build();
  const handler = new KmipRequestHandler({ objects });
  const targets = Array.from({ length: SAMPLES }, () => Math.floor(Math.random() * ALLOCATED));
  const requests = targets.map(locateRequest);
  const seqs = engine.store.db.prepare("SELECT seq FROM keys WHERE state = 'allocated' LIMIT ?").pluck().all(SAMPLES) as number[];
  const byPk = engine.store.db.prepare('SELECT * FROM keys WHERE seq = ?');

  // Correctness first: every answer is the one key whose tape identifier was asked for.
  for (let s = 0; s < Math.min(200, SAMPLES); s++) {
    const r = decodeResponseMessage(handler.handleFrame({ library: LIBRARY }, requests[s]!)!);
    const found = findChildren(structure(Tag.ResponsePayload, r.batchItems[0]!.payload ?? []), Tag.UniqueIdentifier).map((u) => u.value);
    if (found.length !== 1 || found[0] !== uids[targets[s]!]) throw new Error(`Locate of ${kad(targets[s]!)} answered ${JSON.stringify(found)}`);
  }

  const server: number[] = [];
  const store: number[] = [];
  const baseline: number[] = [];
  // Interleaved, so all three see the same machine weather.
  for (let s = 0; s < SAMPLES; s++) {
    let t0 = performance.now();
    handler.handleFrame({ library: LIBRARY }, requests[s]!);
    server.push((performance.now() - t0) * 1000);
    t0 = performance.now();
    objects.locate(LIBRARY, { criteria: [asi(targets[s]!)] });
    store.push((performance.now() - t0) * 1000);
    t0 = performance.now();
    byPk.get(seqs[s % seqs.length]!);
    baseline.push((performance.now() - t0) * 1000);
  }
  const base = { name: 'SELECT by primary key', value: median(baseline) };
  console.log(`Locate by Application Specific Information among ${KEYS} keys (${ALLOCATED} allocated), ${SAMPLES} lookups:`);
  report('server time, median (bytes in to bytes out)', median(server), 'µs', base, '< 1000 µs');
  report('server time, p99', percentile(server, 99), 'µs', { name: 'SELECT by primary key p99', value: percentile(baseline, 99) }, '< 1000 µs');
  report('object store locate(), median', median(store), 'µs', base);
  report('object store locate(), p99', percentile(store, 99), 'µs', { name: 'SELECT by primary key p99', value: percentile(baseline, 99) });
  console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
  engine.store.close();
}

try {
  main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
