/** A sealing worker: seals ranges of a new key set so generation uses every core. */
import { parentPort } from 'node:worker_threads';
import { type SealJob, sealRange } from './seal-range.js';

parentPort!.on('message', (m: { id: number; job: SealJob }) => {
  const sealed = sealRange(m.job);
  m.job.materials.fill(0); // this thread's copy of the key material
  parentPort!.postMessage({ id: m.id, sealed }, [sealed.buffer as ArrayBuffer]);
});
