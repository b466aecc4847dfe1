/**
 * The demo and benchmark workload: D drives write N new tapes at once, each drive taking
 * the next barcode as it frees up, then (unless told not to) read every one of them back.
 * A tape that fails is counted and named, and the others go on.
 */
import { performance } from 'node:perf_hooks';
import { LibraryError } from './errors.js';
import type { SimulatedLibrary } from './library.js';

export interface WorkloadOptions {
  tapes: number;
  drives: number;
  read: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface WorkloadReport {
  written: number;
  read: number;
  /** "BARCODE: why", for each tape that could not be written or read. */
  failures: string[];
  writeSeconds: number;
  writesPerSecond: number;
  /** Keys given by each server (primary, secondary). */
  byServer: Record<string, number>;
}

/** Barcodes of the workload: Q, six digits, L8 (an LTO-8 label). */
export function workloadBarcode(n: number): string {
  return `Q${String(n).padStart(6, '0')}L8`;
}

export async function runWorkload(lib: SimulatedLibrary, o: WorkloadOptions): Promise<WorkloadReport> {
  const drives = lib.encryptingDrives();
  if (drives.length < o.drives) {
    throw new LibraryError('LIBRARY_DRIVES', `Only ${drives.length} drives are in partitions with library-managed encryption; enable it on more partitions or ask for at most ${drives.length} drives.`, { params: { available: drives.length } });
  }
  const first = lib.state.take('workload-tape', o.tapes);
  const barcodes = Array.from({ length: o.tapes }, (_, i) => workloadBarcode(first + i));
  const total = o.read ? 2 * o.tapes : o.tapes;
  let done = 0;
  const failures: string[] = [];
  const byServer: Record<string, number> = {};
  const written: string[] = [];

  const onEach = (work: (drive: string, barcode: string) => Promise<void>, list: string[]) =>
    onDrives(drives.slice(0, o.drives), list, work, (barcode, why) => {
      if (why !== undefined) failures.push(`${barcode}: ${why}`);
      o.onProgress?.(++done, total);
    });

  const start = performance.now();
  await onEach(async (drive, barcode) => {
    const t = await lib.writeTape(drive, barcode);
    byServer[t.server.role] = (byServer[t.server.role] ?? 0) + 1;
    written.push(barcode);
  }, barcodes);
  const writeSeconds = (performance.now() - start) / 1000;
  let read = 0;
  if (o.read) {
    await onEach(async (drive, barcode) => {
      await lib.readTape(drive, barcode);
      read++;
    }, [...written]);
  }
  return { written: written.length, read, failures, writeSeconds, writesPerSecond: written.length / writeSeconds, byServer };
}

/** Reads back every tape the library ever wrote, on all its drives at once. */
export async function verifyTapes(lib: SimulatedLibrary, onProgress?: (done: number, total: number) => void): Promise<{ read: number; failures: string[] }> {
  const barcodes = lib.state.tapes().map((t) => t.barcode);
  const failures: string[] = [];
  let done = 0;
  await onDrives(lib.drives(), barcodes, async (drive, barcode) => void (await lib.readTape(drive, barcode)), (barcode, why) => {
    if (why !== undefined) failures.push(`${barcode}: ${why}`);
    onProgress?.(++done, barcodes.length);
  });
  return { read: barcodes.length - failures.length, failures };
}

/**
 * Each drive takes the next tape of `barcodes` as soon as it is free. A tape that fails
 * with the library's own error is reported to `after` with the reason, and the rest go on.
 */
async function onDrives(drives: string[], barcodes: string[], work: (drive: string, barcode: string) => Promise<void>, after: (barcode: string, why?: string) => void): Promise<void> {
  let next = 0;
  await Promise.all(drives.map(async (drive) => {
    while (next < barcodes.length) {
      const barcode = barcodes[next++]!;
      try {
        await work(drive, barcode);
        after(barcode);
      } catch (e) {
        if (!(e instanceof LibraryError)) throw e;
        after(barcode, e.message);
      }
    }
  }));
}
