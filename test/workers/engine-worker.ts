/**
 * A child process for crash and concurrency tests: it works on a keystore and prints
 * one line per committed change, so the parent knows exactly what was acknowledged
 * before it sent SIGKILL.
 *
 *   node dist/test/workers/engine-worker.js DATA_DIR allocate LIBRARY COUNT
 *   node dist/test/workers/engine-worker.js DATA_DIR generate LIBRARY_PREFIX COUNT
 *   node dist/test/workers/engine-worker.js DATA_DIR migrate
 *   node dist/test/workers/engine-worker.js DATA_DIR journal LIBRARY COUNT
 *     (paired with a peer: creates KMIP objects, changes an attribute of each, and
 *     generates a set every 50th; one line per committed change)
 *   node dist/test/workers/engine-worker.js DATA_DIR replicate PEER_DATA_DIR COUNT
 *     (DATA_DIR's server QKMKILL01 writes tapes; after each, one replication step to
 *     its peer QKMKILL02 at PEER_DATA_DIR: apply there, then acknowledge here)
 */
import { writeSync } from 'node:fs';
import { KeyEngine } from '../../src/engine/key-engine.js';
import { Keystore } from '../../src/engine/keystore.js';
import { ManagedObjects } from '../../src/engine/objects.js';
import { PeerCopies } from '../../src/engine/peer-copies.js';
import { realWorld } from '../../src/engine/world.js';

const [dataDir, mode, name, countText] = process.argv.slice(2);
const count = Number(countText);
// writeSync: the acknowledgement is out of the process before the next change starts.
const ack = (line: string) => writeSync(1, `${line}\n`);
if (mode === 'migrate') {
  // READY before opening: the kill lands while the schema migration runs.
  ack('READY');
  Keystore.open(dataDir!, realWorld).close();
  ack('MIGRATED');
  process.exit(0);
}
const engine = new KeyEngine(
  Keystore.open(dataDir!, realWorld, { create: true, serial: 'QKMKILL01' }),
  { serial: 'QKMKILL01', setSizes: { i500: 1024, i2000: 4096 }, depletionPercent: 80, requireBackup: false },
  realWorld,
);
if (mode === 'journal') engine.journal.addPeer('PEER');
const objects = new ManagedObjects(engine);
const peer = mode === 'replicate'
  ? new KeyEngine(Keystore.open(name!, realWorld), { serial: 'QKMKILL02', setSizes: { i500: 1024, i2000: 4096 }, depletionPercent: 80, requireBackup: false }, realWorld)
  : undefined;
ack('READY');
for (let i = 0; i < count; i++) {
  if (peer) {
    const tape = `T${process.pid}-${i}`;
    const o = objects.create('LIB', { tape, attributes: [] });
    ack(`O ${o.uid} ${tape}`);
    const acked = engine.journal.peers()[0]!.ackedSeq;
    const { applied } = new PeerCopies(peer).apply('QKMKILL01', new PeerCopies(engine).outgoing(acked, 1 + (i % 5)));
    ack(`P ${applied}`);
    engine.journal.acknowledge('QKMKILL02', applied);
    ack(`K ${applied}`);
  } else if (mode === 'journal') {
    const tape = `T${process.pid}-${i}`;
    const o = objects.create(name!, { tape, attributes: [{ name: 'x-Barcode', value: { type: 'TextString', value: tape } }] });
    ack(`O ${o.uid} ${tape}`);
    objects.modifyAttribute(name!, o.uid, { name: 'x-Barcode', value: { type: 'TextString', value: `${tape}B` } });
    ack(`M ${o.uid} ${tape}B`);
    if (i % 50 === 49) {
      const r = engine.generate(`${name}-${process.pid}-${i}`, 'i500');
      if (r.generated) ack(`G ${r.firstKey.split('-')[1]}`);
    }
  } else if (mode === 'allocate') {
    const tape = `${process.pid}-${i}`;
    const a = engine.allocate({ library: name!, tape });
    ack(`A ${a.name} ${tape} ${a.material.toString('hex')}`);
  } else {
    const r = engine.generate(`${name}${i}`, 'i2000');
    if (r.generated) ack(`G ${r.library} ${r.count}`);
  }
}
engine.store.close();
