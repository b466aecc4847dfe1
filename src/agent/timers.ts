import type { Clock, TimerHandle } from '../../drivers/clock.js';

/**
 * The agent's timers on the injected clock, kept in one place so that stop() can
 * prove it leaves none behind, and so that a call waiting on a hung driver is
 * abandoned (not left pending) when the agent stops.
 */
export class TimerSet {
  private readonly handles = new Set<TimerHandle>();
  private readonly waits = new Set<(e: Error) => void>();

  constructor(private readonly clock: Clock) {}

  set(fn: () => void, ms: number): TimerHandle {
    const h = this.clock.setTimeout(() => {
      this.handles.delete(h);
      fn();
    }, ms);
    this.handles.add(h);
    return h;
  }

  clear(h: TimerHandle | undefined): void {
    if (!h) return;
    this.clock.clearTimeout(h);
    this.handles.delete(h);
  }

  /** Runs `fn`, failing with TimeoutError if it has not settled within `ms`. */
  within<T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (ok: boolean, v: unknown) => {
        if (done) return;
        done = true;
        this.clear(h);
        this.waits.delete(abandon);
        if (ok) resolve(v as T);
        else reject(v);
      };
      const abandon = (e: Error) => finish(false, e);
      const h = this.set(() => finish(false, new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
      this.waits.add(abandon);
      let p: Promise<T>;
      try {
        p = fn();
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then((v) => finish(true, v), (e) => finish(false, e));
    });
  }

  /** Clears every timer and fails every pending wait. */
  clearAll(reason: string): void {
    for (const abandon of [...this.waits]) abandon(new Error(reason));
    for (const h of [...this.handles]) this.clear(h);
  }

  get size(): number {
    return this.handles.size + this.waits.size;
  }
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}
