import { DriverError } from '../errors.js';

/** A disk the simulated appliance can hold. Defaults describe a healthy blank disk. */
export interface SimDiskSpec {
  serial: string;
  model?: string;
  /** A faulty disk fails its rebuild part-way. */
  faulty?: boolean;
  /** A blank disk has no partition table; only blank disks are added automatically. */
  blank?: boolean;
  protocol?: 'ATA' | 'SCSI';
  temperatureC?: number;
  reallocatedSectors?: number;
  powerOnHours?: number;
  smartPassed?: boolean;
}

export interface SimDisk {
  readonly spec: Required<SimDiskSpec>;
  /** Failed in service (fail-disk); such a disk stays in its bay until pulled. */
  failed: boolean;
  blank: boolean;
}

export type BayChange = { type: 'pulled' | 'inserted' | 'failed'; bay: number };

function withDefaults(spec: SimDiskSpec): Required<SimDiskSpec> {
  return {
    model: 'QKM SIM-DISK 1TB',
    faulty: false,
    blank: true,
    protocol: 'ATA',
    temperatureC: 34,
    reallocatedSectors: 0,
    powerOnHours: 0,
    smartPassed: true,
    ...spec,
  };
}

/**
 * The simulated appliance's hot-swap bays: the one world that the simulated RAID
 * and disk drivers both look at, so pulling a disk shows in both.
 */
export class SimBays {
  private readonly slots: (SimDisk | null)[];
  private readonly listeners = new Set<(c: BayChange) => void>();

  /** `initial`: one entry per bay, null for an empty bay. Installed disks are in use, not blank. */
  constructor(initial: (SimDiskSpec | null)[] = [{ serial: 'SIM0000A' }, { serial: 'SIM0000B' }]) {
    this.slots = initial.map((s) => (s ? { spec: withDefaults({ blank: false, powerOnHours: 8760, ...s }), failed: false, blank: s.blank ?? false } : null));
  }

  get count(): number {
    return this.slots.length;
  }

  disk(bay: number): SimDisk | null {
    this.check(bay);
    return this.slots[bay] ?? null;
  }

  pull(bay: number): void {
    if (!this.disk(bay)) throw new DriverError('BAY_EMPTY', `Bay ${bay} has no disk to pull.`, { bay });
    this.slots[bay] = null;
    this.emit({ type: 'pulled', bay });
  }

  insert(bay: number, spec: SimDiskSpec): void {
    if (this.disk(bay)) throw new DriverError('BAY_OCCUPIED', `Bay ${bay} already holds a disk; pull it first.`, { bay });
    const full = withDefaults(spec);
    this.slots[bay] = { spec: full, failed: false, blank: full.blank };
    this.emit({ type: 'inserted', bay });
  }

  fail(bay: number): void {
    const d = this.disk(bay);
    if (!d) throw new DriverError('BAY_EMPTY', `Bay ${bay} has no disk to fail.`, { bay });
    d.failed = true;
    this.emit({ type: 'failed', bay });
  }

  onChange(listener: (c: BayChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(c: BayChange): void {
    for (const l of [...this.listeners]) l(c);
  }

  private check(bay: number): void {
    if (!Number.isInteger(bay) || bay < 0 || bay >= this.slots.length) {
      throw new DriverError('UNKNOWN_BAY', `There is no bay ${bay}; bays are 0 to ${this.slots.length - 1}.`, { bay });
    }
  }
}
