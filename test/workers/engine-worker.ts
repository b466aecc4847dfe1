/**
 * A child process for crash and concurrency tests: it works on a keystore and prints
 * one line per committed change, so the parent knows exactly what was acknowledged
 * before it sent SIGKILL.
 *
 *   node dist/test/workers/engine-worker.js DATA_DIR allocate LIBRARY COUNT
 *   node dist/test/workers/engine-worker.js DATA_DIR generate LIBRARY_PREFIX COUNT
 *   node dist/test/workers/engine-worker.js DATA_DIR migrate
 */
import { writeSync } from 'node:fs';
import { KeyEngine } from '../../src/engine/key-engine.js';
import { Keystore } from '../../src/engine/keystore.js';
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
ack('READY');
for (let i = 0; i < count; i++) {
  if (mode === 'allocate') {
    const tape = `${process.pid}-${i}`;
    const a = engine.allocate({ library: name!, tape });
    ack(`A ${a.name} ${tape} ${a.material.toString('hex')}`);
  } else {
    const r = engine.generate(`${name}${i}`, 'i2000');
    if (r.generated) ack(`G ${r.library} ${r.count}`);
  }
}
engine.store.close();
