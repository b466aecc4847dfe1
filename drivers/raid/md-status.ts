import type { ArrayState, RaidMember, RaidStatus } from './contract.js';
import type { MdstatArray } from './mdstat.js';
import type { MdadmDetail } from './mdadm-detail.js';
import { bayOf, type BayDisks } from './bays.js';

function arrayState(a: MdstatArray): ArrayState {
  if (!a.active || a.inSync === 0) return 'failed';
  if (a.action === 'recovery') return 'recovering';
  if (a.action === 'resync' || a.action === 'repair' || a.action === 'reshape') return 'resyncing';
  if (a.slots !== null && a.inSync !== null && a.inSync < a.slots) return 'degraded';
  return 'clean';
}

/**
 * Which members are being rebuilt. With mdadm's roles this is exact: the member
 * whose slot shows `_`. /proc/mdstat alone cannot say, so then: working members
 * beyond the in-sync count, newest descriptor first (a freshly added disk gets
 * the next descriptor), else the first spare (some kernels list it as `(S)`).
 */
function rebuildingNames(a: MdstatArray, detail: MdadmDetail | undefined): Set<string> {
  const out = new Set<string>();
  if (a.action !== 'recovery') return out;
  if (detail && a.slotMap) {
    for (const [dev, role] of detail.roles) {
      if (typeof role === 'number' && a.slotMap[role] === '_') out.add(dev.replace(/^\/dev\//, ''));
    }
    if (out.size > 0) return out;
  }
  const working = a.devices.filter((d) => !d.faulty && !d.spare).sort((x, y) => y.index - x.index);
  const extra = working.length - (a.inSync ?? working.length);
  for (const d of working.slice(0, Math.max(0, extra))) out.add(d.name);
  if (out.size === 0) {
    const spare = a.devices.find((d) => d.spare && !d.faulty);
    if (spare) out.add(spare.name);
  }
  return out;
}

/** Turns one parsed md array (plus mdadm's roles, if read) into the family's status. */
export function mdStatus(a: MdstatArray, bays: BayDisks, detail?: MdadmDetail): RaidStatus {
  const rebuilding = rebuildingNames(a, detail);
  const members: RaidMember[] = a.devices.map((d) => {
    const role = detail?.roles.get(`/dev/${d.name}`);
    const state = d.faulty ? 'faulty' : rebuilding.has(d.name) ? 'rebuilding' : d.spare ? 'spare' : 'active';
    return { bay: bayOf(bays, d.name), device: d.name, state, slot: typeof role === 'number' ? role : null };
  });
  const holding = members.filter((m) => m.state === 'active' || m.state === 'rebuilding').length;
  const slots = a.slots ?? detail?.devices ?? holding;
  let free = Math.max(0, slots - holding);
  // A bay whose disk is in no role of the array shows as a missing member.
  for (const bay of Object.keys(bays).map(Number)) {
    if (free === 0) break;
    if (!members.some((m) => m.bay === bay)) {
      members.push({ bay, device: '', state: 'missing', slot: null });
      free--;
    }
  }
  const faulty = members.filter((m) => m.state === 'faulty').length;
  for (let i = 0; i < free - faulty; i++) members.push({ bay: null, device: '', state: 'missing', slot: null });

  const state = arrayState(a);
  const running = state === 'recovering' || state === 'resyncing';
  return {
    array: a.name,
    level: a.level ?? detail?.level ?? 'unknown',
    state,
    devicesTotal: slots,
    devicesInSync: a.inSync ?? 0,
    percent: running ? a.percent : null,
    speedKiBps: running ? a.speedKiBps : null,
    finishSec: running && a.finishMin !== null ? Math.round(a.finishMin * 60) : null,
    checking: a.action === 'check',
    members,
  };
}
