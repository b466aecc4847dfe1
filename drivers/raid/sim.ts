import type { Clock, TimerHandle } from '../clock.js';
import { DriverError } from '../errors.js';
import type { SimBays, BayChange } from '../sim/bays.js';
import type { ArrayState, MemberState, RaidBackend, RaidEvent, RaidListener, RaidReAdder, RaidStatus, ReAddResult } from './contract.js';
import { RaidEmitter } from './events.js';

export interface SimRaidOptions {
  bays: SimBays;
  clock: Clock;
  /** How long a full rebuild takes (the manual: up to about 45 minutes). */
  rebuildMs?: number;
  /** Pause between inserting a disk and the rebuild starting (the manual: about 5 s). */
  startDelayMs?: number;
  /** Emit rebuild-progress every this many percent. */
  progressStep?: number;
  /** Where a faulty disk gives up during its rebuild. */
  faultyFailsAtPercent?: number;
  /** Size of each member, for the reported rebuild speed. */
  memberKiB?: number;
}

interface Member {
  state: MemberState;
  rebuildStart?: number;
  timers: TimerHandle[];
}

/**
 * An md-like RAID 1 over the simulated bays. Everything happens on the injected
 * clock: with a ManualClock a 45-minute rebuild takes one `advance` call. Events
 * are emitted as they happen; `poll` only reads.
 */
export class SimRaid implements RaidBackend, RaidReAdder {
  readonly kind = 'sim';
  private readonly emitter = new RaidEmitter();
  private readonly members: Member[];
  private readonly o: Required<Omit<SimRaidOptions, 'bays' | 'clock'>>;
  private readonly unwatch: () => void;

  constructor(private readonly opts: SimRaidOptions) {
    this.o = {
      rebuildMs: 45 * 60_000,
      startDelayMs: 5_000,
      progressStep: 10,
      faultyFailsAtPercent: 30,
      memberKiB: 976_762_584,
      ...stripUndefined(opts),
    };
    this.members = Array.from({ length: opts.bays.count }, (_, bay) => {
      const d = opts.bays.disk(bay);
      return { state: d ? (d.failed ? 'faulty' : 'active') : 'missing', timers: [] };
    });
    this.unwatch = opts.bays.onChange((c) => this.onBay(c));
  }

  private get clock(): Clock {
    return this.opts.clock;
  }

  private member(bay: number): Member {
    const m = this.members[bay];
    if (!m) throw new DriverError('UNKNOWN_BAY', `There is no bay ${bay}.`, { bay });
    return m;
  }

  private device(bay: number): string {
    return `sd${String.fromCharCode(97 + bay)}1`;
  }

  private cancel(m: Member): void {
    for (const t of m.timers) this.clock.clearTimeout(t);
    m.timers = [];
    delete m.rebuildStart;
  }

  private inSync(): number {
    return this.members.filter((m) => m.state === 'active').length;
  }

  /** Changes a member; returns the array-level event to emit after the member's own. */
  private setState(bay: number, next: MemberState): RaidEvent | undefined {
    const before = this.state();
    this.member(bay).state = next;
    const after = this.state();
    if (after === 'failed' && before !== 'failed') return { type: 'array-failed' };
    if (after === 'degraded' && before === 'clean') return { type: 'array-degraded' };
    return undefined;
  }

  private emitAll(...events: (RaidEvent | undefined)[]): void {
    for (const e of events) if (e) this.emitter.emit(e);
  }

  private onBay(c: BayChange): void {
    const m = this.member(c.bay);
    const device = this.device(c.bay);
    if (c.type === 'pulled') {
      const wasRebuilding = m.state === 'rebuilding';
      this.cancel(m);
      if (wasRebuilding) this.emitter.emit({ type: 'rebuild-failed', bay: c.bay, device });
      const arrayEvent = this.setState(c.bay, 'missing');
      this.emitAll({ type: 'disk-removed', bay: c.bay, device }, arrayEvent);
    } else if (c.type === 'failed') {
      const wasRebuilding = m.state === 'rebuilding';
      this.cancel(m);
      const arrayEvent = this.setState(c.bay, 'faulty');
      this.emitAll(wasRebuilding ? { type: 'rebuild-failed', bay: c.bay, device } : { type: 'disk-failed', bay: c.bay, device }, arrayEvent);
    } else {
      this.emitAll({ type: 'disk-added', bay: c.bay, device }, this.setState(c.bay, 'spare'));
      // Like the appliance: only a blank disk is taken into the mirror without asking.
      if (this.opts.bays.disk(c.bay)?.blank) this.scheduleStart(c.bay);
    }
  }

  private scheduleStart(bay: number): void {
    const m = this.member(bay);
    m.timers.push(this.clock.setTimeout(() => this.startRebuild(bay), this.o.startDelayMs));
  }

  private startRebuild(bay: number): void {
    const m = this.member(bay);
    m.timers = [];
    if (this.inSync() === 0) return; // nothing to copy from: stays a spare
    m.state = 'rebuilding';
    m.rebuildStart = this.clock.now();
    const device = this.device(bay);
    this.emitter.emit({ type: 'rebuild-started', bay, device });
    const disk = this.opts.bays.disk(bay);
    if (disk) disk.blank = false;
    const step = this.o.progressStep;
    for (let p = step; p < 100; p += step) {
      if (disk?.spec.faulty && p >= this.o.faultyFailsAtPercent) break;
      m.timers.push(this.clock.setTimeout(() => this.emitter.emit({ type: 'rebuild-progress', percent: p }), (this.o.rebuildMs * p) / 100));
    }
    if (disk?.spec.faulty) {
      m.timers.push(
        this.clock.setTimeout(() => {
          this.cancel(m);
          m.state = 'faulty';
          this.emitter.emit({ type: 'rebuild-failed', bay, device });
        }, (this.o.rebuildMs * this.o.faultyFailsAtPercent) / 100),
      );
      return;
    }
    m.timers.push(
      this.clock.setTimeout(() => {
        this.cancel(m);
        m.state = 'active';
        this.emitter.emit({ type: 'rebuild-finished', bay, device });
      }, this.o.rebuildMs),
    );
  }

  /** Takes a non-blank disk into the mirror when a person allows it (blank disks go in by themselves). */
  async addReplacement(bay: number, opts: { allowNonBlank?: boolean } = {}): Promise<ReAddResult> {
    const disk = this.opts.bays.disk(bay);
    const m = this.member(bay);
    if (!disk) throw new DriverError('BAY_EMPTY', `Bay ${bay} has no disk to add.`, { bay });
    if (m.state !== 'spare') return { bay, steps: [`bay ${bay} is already ${m.state}`] };
    if (!disk.blank && !opts.allowNonBlank) {
      throw new DriverError(
        'DISK_NOT_BLANK',
        `The disk in bay ${bay} (${disk.spec.serial}) is not blank; nothing was written. Insert a blank disk, or confirm that this disk may be overwritten.`,
        { bay, serial: disk.spec.serial },
      );
    }
    this.cancel(m);
    this.startRebuild(bay);
    return { bay, steps: [`copied the partition table to bay ${bay}`, `added ${this.device(bay)} to md0`] };
  }

  private state(): ArrayState {
    const inSync = this.inSync();
    if (inSync === 0) return 'failed';
    if (this.members.some((m) => m.state === 'rebuilding')) return 'recovering';
    return inSync < this.members.length ? 'degraded' : 'clean';
  }

  async status(): Promise<RaidStatus> {
    const state = this.state();
    const rebuilding = this.members.find((m) => m.state === 'rebuilding');
    let percent: number | null = null;
    let finishSec: number | null = null;
    let speedKiBps: number | null = null;
    if (rebuilding?.rebuildStart !== undefined) {
      const elapsed = this.clock.now() - rebuilding.rebuildStart;
      percent = Math.min(99.9, Math.floor((elapsed / this.o.rebuildMs) * 1000) / 10);
      finishSec = Math.max(0, Math.round((this.o.rebuildMs - elapsed) / 1000));
      speedKiBps = Math.round(this.o.memberKiB / (this.o.rebuildMs / 1000));
    }
    return {
      array: 'md0',
      level: 'raid1',
      state,
      devicesTotal: this.members.length,
      devicesInSync: this.inSync(),
      percent,
      speedKiBps,
      finishSec,
      checking: false,
      members: this.members.map((m, bay) => ({
        bay,
        device: m.state === 'missing' ? '' : this.device(bay),
        state: m.state,
        slot: m.state === 'spare' || m.state === 'missing' ? null : bay,
      })),
    };
  }

  poll(): Promise<RaidStatus> {
    return this.status();
  }

  subscribe(listener: RaidListener): () => void {
    return this.emitter.subscribe(listener);
  }

  async close(): Promise<void> {
    for (const m of this.members) this.cancel(m);
    this.unwatch();
    this.emitter.clear();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
