import type { Clock, TimerHandle } from '../../../drivers/clock.js';
import type { TransportLogger } from './logger.js';

export interface RefusalLogLimits {
  /** Refusals logged one by one per source address in a window; the rest are counted. */
  linesPerAddress: number;
  windowMs: number;
  /** Addresses counted one by one in a window; refusals from more share one count. */
  maxAddresses: number;
}

/**
 * One client can cause hundreds of refusals a second, each worth a log line; logged in
 * full they fill the disk. A minute's window keeps the numbers a person can act on.
 */
export const REFUSAL_LOG_LIMITS: RefusalLogLimits = { linesPerAddress: 5, windowMs: 60_000, maxAddresses: 256 };

export interface Refusal {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  reason: string;
}

interface Tally {
  logged: number;
  more: number;
  reasons: Record<string, number>;
}

const OTHERS = 'other addresses';

/**
 * Logs refusals of unauthenticated clients: the first few from each address in a window
 * one by one, the rest as one line per address when the window ends ("N more refusals
 * from ADDRESS in the last minute"). What it remembers is bounded by maxAddresses.
 */
export class RefusalLog {
  private tallies = new Map<string, Tally>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly log: TransportLogger,
    private readonly clock: Clock,
    private readonly limits: RefusalLogLimits = REFUSAL_LOG_LIMITS,
  ) {}

  refused(refusal: Refusal, msg: string): void {
    const tally = this.tallyOf(refusal.remoteAddress ?? 'unknown');
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.limits.windowMs);
    if (tally.logged < this.limits.linesPerAddress && tally !== this.tallies.get(OTHERS)) {
      tally.logged++;
      this.log.warn({ remoteAddress: refusal.remoteAddress, remotePort: refusal.remotePort, reason: refusal.reason }, msg);
      return;
    }
    tally.more++;
    tally.reasons[refusal.reason] = (tally.reasons[refusal.reason] ?? 0) + 1;
  }

  /** Ends the window: one summary line for each address that had refusals left unlogged. */
  flush(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const tallies = this.tallies;
    this.tallies = new Map();
    const window = this.limits.windowMs === 60_000 ? 'minute' : `${this.limits.windowMs / 1000} s`;
    for (const [address, tally] of tallies) {
      if (tally.more === 0) continue;
      const plural = tally.more === 1 ? '' : 's';
      this.log.warn(
        { remoteAddress: address === OTHERS ? undefined : address, refusals: tally.more, reasons: tally.reasons },
        `${tally.more} more refusal${plural} from ${address} in the last ${window}`,
      );
    }
  }

  private tallyOf(address: string): Tally {
    let tally = this.tallies.get(address);
    if (tally) return tally;
    // The overflow tally is one of the entries, so the map holds at most maxAddresses + 1.
    const key = this.tallies.size >= this.limits.maxAddresses ? OTHERS : address;
    tally = this.tallies.get(key) ?? { logged: 0, more: 0, reasons: {} };
    this.tallies.set(key, tally);
    return tally;
  }
}
