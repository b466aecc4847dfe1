import type { Allocation, AllocationRequest, KeyEngine } from './key-engine.js';

/**
 * Shares one durable commit among the allocations that arrive together. Requests from
 * many connections queue during one turn of the event loop and are committed in one
 * transaction (one fsync); each caller's promise settles only after that commit. A
 * single caller still gets one transaction per request: batching never delays an
 * answer by more than the turn it arrived in.
 */
export class AllocationQueue {
  private pending: { req: AllocationRequest; resolve: (a: Allocation) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly engine: KeyEngine, private readonly maxBatch = 256) {}

  allocate(req: AllocationRequest): Promise<Allocation> {
    return new Promise((resolve, reject) => {
      this.pending.push({ req, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      let outcomes: (Allocation | Error)[];
      try {
        outcomes = this.engine.allocateBatch(batch.map((p) => p.req));
      } catch (e) {
        for (const p of batch) p.reject(e); // the whole transaction rolled back: nobody got a key
        continue;
      }
      batch.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o instanceof Error) p.reject(o);
        else p.resolve(o);
      });
    }
  }
}
