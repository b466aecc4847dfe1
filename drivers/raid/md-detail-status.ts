import type { ArrayState, MemberState, RaidMember, RaidStatus } from './contract.js';
import type { MdadmDetailRow, MdadmDetailText } from './mdadm-detail-text.js';
import { bayOf, type BayDisks } from './bays.js';

function detailState(d: MdadmDetailText): ArrayState {
  const has = (w: string) => d.states.includes(w);
  if (d.level === 'container') return 'container';
  if (has('inactive') || has('FAILED') || has('Not Started')) return 'failed';
  if (has('recovering')) return 'recovering';
  if (has('reshaping')) return 'reshaping';
  if (d.delayed && has('degraded')) return 'recovery-pending';
  if (has('resyncing')) return 'resyncing';
  if (has('degraded')) return 'degraded';
  return 'clean';
}

function rowState(r: MdadmDetailRow, state: ArrayState): MemberState {
  const f = (w: string) => r.flags.includes(w);
  // An inactive array or a container lists its disks with no state: held, in no slot.
  if (r.flags.length === 0) return 'spare';
  if (f('removed')) return 'missing';
  if (f('faulty')) return 'faulty';
  if (f('journal')) return 'journal';
  if (f('rebuilding') || f('replacement')) return state === 'recovering' ? 'rebuilding' : state === 'reshaping' ? 'active' : 'spare';
  if (f('spare')) return state === 'reshaping' && r.role !== null ? 'active' : 'spare';
  return 'active';
}

/**
 * The family's status from plain `mdadm --detail` alone, for when /proc/mdstat was not
 * captured: the State line says the array's state, the member table each disk's.
 */
export function mdStatusFromDetail(d: MdadmDetailText, bays: BayDisks): RaidStatus {
  const state = detailState(d);
  const members: RaidMember[] = d.rows.map((r) => ({
    bay: r.device ? bayOf(bays, r.device) : null,
    device: r.device?.replace(/^\/dev\//, '') ?? '',
    state: rowState(r, state),
    slot: r.role,
  }));
  // A removed slot names no disk; the bay whose disk is in no row is the one it lost.
  for (const m of members) {
    if (m.state !== 'missing' || m.bay !== null) continue;
    const bay = Object.keys(bays).map(Number).find((b) => !members.some((x) => x.bay === b));
    if (bay !== undefined) m.bay = bay;
  }
  const progress = d.progress;
  const running = progress !== null && state !== 'failed';
  const active = members.filter((m) => m.state === 'active').length;
  return {
    array: (d.device ?? 'md?').replace(/^\/dev\/(md\/)?/, ''),
    level: d.level ?? 'unknown',
    state,
    // A container holds disks for its member arrays, in no slot of its own (as /proc/mdstat reads it).
    devicesTotal: state === 'container' ? members.length : (d.raidDevices ?? members.filter((m) => m.slot !== null).length),
    devicesInSync: state === 'container' ? members.length : (d.activeDevices ?? active),
    percent: running ? progress.percent : null,
    speedKiBps: null,
    finishSec: null,
    checking: d.states.includes('checking'),
    members,
    metadata: d.metadata ?? (d.container ? `member of ${d.container}` : null),
  };
}
