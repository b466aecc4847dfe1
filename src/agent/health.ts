import type { DiskInfo } from '../../drivers/disks/contract.js';
import type { ArrayState, ControllerHealth, RaidStatus } from '../../drivers/raid/contract.js';
import type { DriverFamily } from '../hardware/contracts.js';
import { diskConcerns } from './disk-figures.js';
import { BAY_EMPTY_MAX_MS, NEW_DISK_MS, REBUILD_FINISHED_NOTICE_MS } from './manual.js';
import type { AgentMemory } from './memory.js';

export type { DriverFamily };

/**
 * What a bay is doing, in the manual's terms:
 * `new` — a disk just went in (its first ~5 s); `spare` — in the bay but not (yet) in
 * the mirror; `rebuilding` — being copied into; `in-sync` — a healthy mirror half;
 * `faulty` — failed in service; `rebuild-failed` — a new disk that failed its rebuild.
 */
export type BayCondition = 'empty' | 'new' | 'spare' | 'rebuilding' | 'in-sync' | 'faulty' | 'rebuild-failed' | 'unknown';

export interface BayHealth {
  bay: number;
  condition: BayCondition;
  serial: string | null;
  /** The disk that was pulled from this bay (for an empty bay). */
  lastSerial: string | null;
  emptyForMs: number | null;
  smartFailing: boolean;
  /** SMART figures that foretell a failure, in words naming each figure (empty when none). */
  concerns: string[];
  temperatureC: number | null;
  hot: boolean;
}

/** A boot's POST as heard, with what it means (the server model's table, or the manual's rule). */
export interface PostFinding {
  boot: string;
  at: number;
  pattern: string;
  repeating: boolean;
  verdict: 'passed' | 'problem';
  meaning: string;
  action: string;
}

export interface Health {
  at: number;
  array: { name: string; state: ArrayState | 'unknown'; percent: number | null };
  bays: BayHealth[];
  /** Bays with no working disk (empty, faulty, failed rebuild). */
  disksOut: number;
  rebuildingBay: number | null;
  /** A rebuild that finished within the notice window. */
  rebuildFinished: { bay: number; serial: string | null } | null;
  bootDegraded: boolean;
  blind: DriverFamily[];
  cdBusy: boolean;
  /** The last boot's POST, when one was heard. */
  post: PostFinding | null;
  /** A hardware RAID controller and its cache battery (storcli); null for Linux software RAID. */
  controller: ControllerHealth | null;
  serverError: boolean;
  /** When a time-based condition next changes (new-disk window, empty-bay limit), so the agent looks again then. */
  nextChangeInMs: number | null;
}

export interface HealthInput {
  raid: RaidStatus | null;
  disks: DiskInfo[] | null;
  memory: AgentMemory;
  blind: readonly DriverFamily[];
  now: number;
  tempMaxC: number;
  cdBusy?: boolean;
  post?: PostFinding | null;
}

function bayCondition(bay: number, inp: HealthInput): BayCondition {
  const mem = inp.memory.bays[bay]!;
  if (!mem.present) return 'empty';
  const member = inp.raid?.members.find((m) => m.bay === bay);
  if (!inp.raid) return 'unknown';
  const isNew = mem.insertedAt !== null && inp.now - mem.insertedAt < NEW_DISK_MS;
  switch (member?.state) {
    case 'active': return 'in-sync';
    case 'rebuilding': return 'rebuilding';
    case 'faulty': return mem.rebuildFailed ? 'rebuild-failed' : 'faulty';
    default: return isNew ? 'new' : 'spare'; // spare, or present but not yet listed by the array
  }
}

/** Readings and memory in, the box's health out. Pure: no clock, no drivers. */
export function assess(inp: HealthInput): Health {
  const { now, memory } = inp;
  const changes: number[] = [];
  const bays: BayHealth[] = memory.bays.map((mem, bay) => {
    const disk = inp.disks?.find((d) => d.bay === bay);
    const condition = bayCondition(bay, inp);
    const emptyForMs = condition === 'empty' && mem.emptySince !== null ? now - mem.emptySince : null;
    if (emptyForMs !== null && emptyForMs <= BAY_EMPTY_MAX_MS) changes.push(BAY_EMPTY_MAX_MS - emptyForMs + 1);
    if (condition === 'new' && mem.insertedAt !== null) changes.push(NEW_DISK_MS - (now - mem.insertedAt));
    const present = condition !== 'empty';
    const temperatureC = present ? disk?.temperatureC ?? null : null;
    return {
      bay,
      condition,
      serial: mem.serial,
      lastSerial: mem.lastSerial,
      emptyForMs,
      smartFailing: present && disk?.smartPassed === false,
      concerns: present && disk ? diskConcerns(disk) : [],
      temperatureC,
      hot: temperatureC !== null && temperatureC >= inp.tempMaxC,
    };
  });
  const out = bays.filter((b) => b.condition === 'empty' || b.condition === 'faulty' || b.condition === 'rebuild-failed').length;
  const state = inp.raid?.state ?? 'unknown';
  const fin = memory.lastRebuildFinished;
  const finAge = fin ? now - fin.at : Infinity;
  if (fin && finAge < REBUILD_FINISHED_NOTICE_MS) changes.push(REBUILD_FINISHED_NOTICE_MS - finAge);
  const rebuilding = bays.find((b) => b.condition === 'rebuilding');
  const serverError =
    state === 'degraded' || state === 'recovery-pending' || state === 'failed' || out > 0 || inp.blind.length > 0 ||
    inp.raid?.controller?.needsAttention === true || bays.some((b) => b.smartFailing || b.concerns.length > 0 || b.hot);
  return {
    at: now,
    array: { name: inp.raid?.array ?? 'md0', state, percent: inp.raid?.percent ?? null },
    bays,
    disksOut: state === 'failed' ? Math.max(out, bays.length) : out,
    rebuildingBay: rebuilding?.bay ?? null,
    rebuildFinished: fin && finAge < REBUILD_FINISHED_NOTICE_MS ? { bay: fin.bay, serial: fin.serial } : null,
    bootDegraded: memory.bootDegraded,
    blind: [...inp.blind],
    cdBusy: inp.cdBusy ?? false,
    post: inp.post ?? null,
    controller: inp.raid?.controller ?? null,
    serverError,
    nextChangeInMs: changes.length ? Math.max(1, Math.min(...changes)) : null,
  };
}
