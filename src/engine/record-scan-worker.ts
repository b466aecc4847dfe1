/**
 * Worker thread for the check: verifies one range of key records on its own read-only
 * connection, so a million-key check uses every core of the appliance.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordKeys } from './record-crypto.js';
import { scanRecords } from './record-scan.js';

export interface ScanJob { dbFile: string; keys: RecordKeys; fromSeq: number; toSeq: number }

const job = workerData as ScanJob;
const db = new Database(job.dbFile, { readonly: true, fileMustExist: true });
try {
  const result = scanRecords(db, job.keys, job, (checked) => parentPort!.postMessage({ progress: checked }));
  parentPort!.postMessage({ result });
} finally {
  db.close();
}
