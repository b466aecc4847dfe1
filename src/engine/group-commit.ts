import type Database from 'better-sqlite3';

/**
 * Group commit: work that arrives together shares one durable commit (one fsync).
 * Each piece of work queued during one turn of the event loop runs in its own savepoint
 * inside a single immediate transaction, so one that throws rolls back alone; every
 * caller's promise settles only after the shared commit is on disk. A lone caller gets
 * a transaction of its own: batching never delays an answer past the turn it came in.
 */
export class GroupCommit {
  private pending: { work: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly db: Database.Database, private readonly maxBatch = 256) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
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
      let outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[];
      try {
        outcomes = this.db.transaction(() =>
          batch.map((p) => {
            try {
              // A nested transaction is a savepoint: a throw undoes this piece only.
              return { ok: true as const, value: this.db.transaction(p.work)() };
            } catch (error) {
              return { ok: false as const, error };
            }
          }),
        ).immediate();
      } catch (e) {
        for (const p of batch) p.reject(e); // the commit itself failed: nothing of it happened
        continue;
      }
      batch.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o.ok) p.resolve(o.value);
        else p.reject(o.error);
      });
    }
  }
}
