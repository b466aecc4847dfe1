import type { DiskInfo } from '../../drivers/disks/contract.js';
import type { RaidEvent, RaidStatus } from '../../drivers/raid/contract.js';

/**
 * What the supervisor remembers between readings. Health depends on elapsed times
 * (how long a bay has been empty, how long ago a disk went in) and on how a state was
 * reached (a faulty disk that failed its rebuild is a bad *new* disk), which a single
 * reading cannot tell. `remember` is pure so that tests can walk it like the health.
 */
export interface BayMemory {
  present: boolean;
  /** Serial of the disk in the bay now, or null when empty/unknown. */
  serial: string | null;
  /** Serial of the disk last pulled from this bay, for the "disk missing" ticket. */
  lastSerial: string | null;
  /** When the current disk was seen going in; null if it was there when the agent started. */
  insertedAt: number | null;
  /** When the bay was seen going empty (or, if empty at start, when the agent first looked). */
  emptySince: number | null;
  wasRebuilding: boolean;
  /** The disk now in this bay was being rebuilt into and failed: the new disk is faulty. */
  rebuildFailed: boolean;
}

export interface AgentMemory {
  /** No reading has been taken yet. */
  fresh: boolean;
  /** The array was not clean at the first reading after start, and has not been clean since. */
  bootDegraded: boolean;
  /** A RAID reading has been taken (the boot check is made once, on the first one). */
  bootChecked: boolean;
  bays: BayMemory[];
  lastRebuildFinished: { bay: number; serial: string | null; at: number } | null;
}

export function initialMemory(bayCount: number): AgentMemory {
  return {
    fresh: true,
    bootDegraded: false,
    bootChecked: false,
    bays: Array.from({ length: bayCount }, () => ({
      present: false, serial: null, lastSerial: null, insertedAt: null, emptySince: null, wasRebuilding: false, rebuildFailed: false,
    })),
    lastRebuildFinished: null,
  };
}

/** The readings one pass took; null for a family the agent could not read (blind). */
export interface Readings {
  raid: RaidStatus | null;
  disks: DiskInfo[] | null;
  /** Events received since the previous pass. */
  events: readonly RaidEvent[];
  now: number;
}

/** Presence from the disk reading when there is one, else from the array's members. */
export function bayPresent(bay: number, r: Pick<Readings, 'raid' | 'disks'>): boolean | null {
  const d = r.disks?.find((x) => x.bay === bay);
  if (d) return d.present;
  const m = r.raid?.members.find((x) => x.bay === bay);
  if (m) return m.state !== 'missing';
  return r.raid ? false : null;
}

export function remember(prev: AgentMemory, r: Readings): AgentMemory {
  const next: AgentMemory = { ...prev, fresh: false, bays: prev.bays.map((b) => ({ ...b })) };
  if (r.raid && !next.bootChecked) {
    next.bootChecked = true;
    next.bootDegraded = r.raid.state === 'degraded' || r.raid.state === 'recovering' || r.raid.state === 'recovery-pending' || r.raid.state === 'failed';
  }
  if (r.raid?.state === 'clean') next.bootDegraded = false;

  // Events first: a rebuild can start and fail between two readings.
  for (const e of r.events) {
    if (e.type === 'rebuild-failed' && e.bay !== null && next.bays[e.bay]) next.bays[e.bay]!.rebuildFailed = true;
    if (e.type === 'rebuild-finished' && e.bay !== null) {
      next.lastRebuildFinished = { bay: e.bay, serial: next.bays[e.bay]?.serial ?? null, at: r.now };
    }
  }

  next.bays.forEach((b, bay) => {
    const present = bayPresent(bay, r);
    if (present === null) return; // blind: keep what we knew
    const serial = r.disks?.find((d) => d.bay === bay)?.serial ?? null;
    if (present && (!b.present || (serial !== null && b.serial !== null && serial !== b.serial))) {
      // A disk went in (or was swapped between two readings).
      if (b.present && b.serial) b.lastSerial = b.serial;
      b.insertedAt = prev.fresh ? null : r.now;
      b.emptySince = null;
      b.rebuildFailed = false;
      b.wasRebuilding = false;
    } else if (!present && (b.present || prev.fresh)) {
      if (b.present) b.lastSerial = b.serial;
      b.emptySince = r.now;
      b.insertedAt = null;
      b.rebuildFailed = false;
      b.wasRebuilding = false;
    }
    b.present = present;
    if (serial !== null || !present) b.serial = present ? serial : null;

    const member = r.raid?.members.find((m) => m.bay === bay);
    if (!member) return;
    if (member.state === 'faulty' && b.wasRebuilding) b.rebuildFailed = true;
    if (member.state === 'active' && b.wasRebuilding && !r.events.some((e) => e.type === 'rebuild-finished' && e.bay === bay)) {
      next.lastRebuildFinished = { bay, serial: b.serial, at: r.now };
    }
    if (member.state === 'rebuilding') {
      if (!b.wasRebuilding) next.lastRebuildFinished = null; // a new rebuild supersedes the last notice
      b.rebuildFailed = false;
    }
    b.wasRebuilding = member.state === 'rebuilding';
  });
  return next;
}
