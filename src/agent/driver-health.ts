import type { DriverFamily } from './health.js';

export interface BackoffPolicy {
  /** First retry delay after a failure. */
  initialMs: number;
  /** Retries never wait longer than this. */
  maxMs: number;
  /** Consecutive failures after which the driver is restarted and the agent says it is blind. */
  blindAfter: number;
}

export interface FamilyState {
  failures: number;
  /** Not before this time (clock ms) is the driver asked again. */
  retryAt: number;
  lastError: string | null;
  restarts: number;
}

/**
 * Failure bookkeeping per driver family: exponential backoff so a broken driver is
 * not hammered, and a "blind" verdict once failures persist (one failure may be a
 * hiccup; two in a row is a driver we cannot trust).
 */
export class DriverHealth {
  private readonly state = new Map<DriverFamily, FamilyState>();

  constructor(private readonly policy: BackoffPolicy) {}

  get(f: DriverFamily): FamilyState {
    let s = this.state.get(f);
    if (!s) this.state.set(f, (s = { failures: 0, retryAt: 0, lastError: null, restarts: 0 }));
    return s;
  }

  due(f: DriverFamily, now: number): boolean {
    return this.get(f).retryAt <= now;
  }

  ok(f: DriverFamily): void {
    const s = this.get(f);
    s.failures = 0;
    s.retryAt = 0;
    s.lastError = null;
  }

  /** Records a failure; returns true when the driver should be restarted. */
  failed(f: DriverFamily, now: number, error: string): boolean {
    const s = this.get(f);
    s.failures++;
    s.lastError = error;
    s.retryAt = now + Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** (s.failures - 1));
    const restart = s.failures >= this.policy.blindAfter;
    if (restart) s.restarts++;
    return restart;
  }

  blind(): DriverFamily[] {
    return [...this.state].filter(([, s]) => s.failures >= this.policy.blindAfter).map(([f]) => f);
  }

  /** Ms until the earliest retry, or null when nothing waits. */
  nextRetryIn(now: number): number | null {
    const waits = [...this.state.values()].filter((s) => s.failures > 0 && s.retryAt > now).map((s) => s.retryAt - now);
    return waits.length ? Math.min(...waits) : null;
  }
}
