/**
 * The RAID family: what state the mirror is in, which disks are in it, and what
 * happened since the last look. Backends: Linux md (/proc/mdstat, mdadm),
 * Broadcom/LSI hardware RAID (storcli JSON) and the simulator.
 */

/**
 * `recovery-pending`: degraded, with a disk waiting for its recovery behind another
 * array's (`resync=DELAYED`); `reshaping`: changing shape (level, devices), not degraded;
 * `container`: an IMSM/DDF container, which holds its member arrays' disks and is no array itself.
 */
export type ArrayState = 'clean' | 'degraded' | 'recovering' | 'recovery-pending' | 'resyncing' | 'reshaping' | 'failed' | 'container';

/**
 * `rebuilding`: the member being recovered into; `missing`: a slot with no disk
 * (pulled, or never added back); `faulty`: still listed but failed; `journal`: a
 * write journal device, which holds no slot of the data.
 */
export type MemberState = 'active' | 'rebuilding' | 'spare' | 'faulty' | 'missing' | 'journal';

export interface RaidMember {
  /** Front bay the disk sits in, when the configuration says; null if unknown. */
  bay: number | null;
  /** Device as the backend names it ("sda1", "252:1"); empty for a missing slot. */
  device: string;
  state: MemberState;
  /** Role/slot in the array, when known. */
  slot: number | null;
  /** The disk's model, when the backend says (storcli does). */
  model?: string | null;
}

/** A hardware RAID controller's own state, beside its drives (storcli). */
export interface ControllerHealth {
  /** "Optimal", "Needs Attention", ...: as the controller says it. */
  status: string | null;
  /** The cache's battery or CacheVault: kind, and state as the controller says it; null with none. */
  battery: { kind: 'BBU' | 'CacheVault'; state: string } | null;
  /** True when the controller or its battery is not in its good state. */
  needsAttention: boolean;
  /** Which of the two is not: each is a ticket of its own, since what to do differs. */
  statusBad: boolean;
  batteryBad: boolean;
}

export interface RaidStatus {
  /** Array name ("md0", "0/0" for a storcli virtual drive). */
  array: string;
  level: string;
  state: ArrayState;
  /** Slots the array has and how many hold an in-sync disk. */
  devicesTotal: number;
  devicesInSync: number;
  /** Recovery/resync progress; all null when nothing is running or the backend cannot tell. */
  percent: number | null;
  speedKiBps: number | null;
  finishSec: number | null;
  /** A background consistency check runs (the array is still clean). */
  checking: boolean;
  members: RaidMember[];
  /** Metadata format ("1.2", "0.90", "imsm", "external:/md127/0"), when the backend says. */
  metadata?: string | null;
  /** Hardware RAID only: the controller and its cache battery. */
  controller?: ControllerHealth;
}

/** Events, each naming the bay/device concerned where it applies. */
export type RaidEvent =
  | { type: 'disk-failed'; bay: number | null; device: string }
  | { type: 'disk-removed'; bay: number | null; device: string }
  | { type: 'disk-added'; bay: number | null; device: string }
  | { type: 'rebuild-started'; bay: number | null; device: string }
  | { type: 'rebuild-progress'; percent: number }
  | { type: 'rebuild-finished'; bay: number | null; device: string }
  | { type: 'rebuild-failed'; bay: number | null; device: string }
  | { type: 'array-degraded' }
  | { type: 'array-failed' };

export type RaidListener = (event: RaidEvent) => void;

export interface RaidBackend {
  readonly kind: string;
  /** Reads the array state now. Does not emit events. */
  status(): Promise<RaidStatus>;
  /**
   * Reads the state and emits the events that explain the change since the
   * previous poll (the first poll only sets the baseline). Returns the new state.
   */
  poll(): Promise<RaidStatus>;
  /** Listens for events; returns the function that stops listening. */
  subscribe(listener: RaidListener): () => void;
  /** Stops timers and listeners; the backend is not used afterwards. */
  close(): Promise<void>;
}

/** What happened when a replaced disk was put back into the array. */
export interface ReAddResult {
  bay: number;
  /** Each step taken, as a person would read it ("copied partition table from /dev/sda"). */
  steps: string[];
}

/**
 * Software RAID also puts a replaced disk back itself. A disk is only ever written
 * to when it is blank, or when `allowNonBlank` says a person has agreed; otherwise
 * this throws DriverError DISK_NOT_BLANK saying what was found on the disk.
 */
export interface RaidReAdder {
  addReplacement(bay: number, opts?: { allowNonBlank?: boolean }): Promise<ReAddResult>;
}
