import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SealJob } from './seal-range.js';

const WORKER_FILE = new URL('./seal-worker.js', import.meta.url);

/**
 * Sealing workers, one per core, started on first use and kept for the process's life.
 * They hold the process open only while a job is out (a finished command exits). Absent
 * when running from the TypeScript sources (tests): sealing then stays in the caller's
 * thread.
 */
export class SealPool {
  private static shared: SealPool | null | undefined;
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private turn = 0;

  static get(): SealPool | null {
    if (SealPool.shared === undefined) SealPool.shared = existsSync(WORKER_FILE) ? new SealPool(Math.min(availableParallelism(), 4)) : null;
    return SealPool.shared;
  }

  private constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(WORKER_FILE);
      w.on('message', (m: { id: number; sealed: Uint8Array }) => {
        this.waiting.get(m.id)?.resolve(Buffer.from(m.sealed.buffer, m.sealed.byteOffset, m.sealed.byteLength));
        this.waiting.delete(m.id);
        if (this.waiting.size === 0) this.idle();
      });
      w.on('error', (e) => this.failAll(e));
      w.unref(); // after on('message'), which refs the worker again
      return w;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  seal(job: SealJob): Promise<Buffer> {
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    if (this.waiting.size === 0) for (const w of this.workers) w.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, job });
    });
  }

  private idle(): void {
    for (const w of this.workers) w.unref();
  }

  private failAll(e: unknown): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    this.idle();
    SealPool.shared = undefined; // a broken pool is rebuilt on next use
  }
}
