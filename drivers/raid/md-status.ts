import type { ArrayState, MemberState, RaidMember, RaidStatus } from './contract.js';
import type { MdstatArray } from './mdstat.js';
import type { MdadmDetail } from './mdadm-detail.js';
import { bayOf, type BayDisks } from './bays.js';

function arrayState(a: MdstatArray): ArrayState {
  if (a.container) return 'container';
  if (!a.active || a.inSync === 0) return 'failed';
  if (a.action === 'recovery') return 'recovering';
  // A reshape changes the slot count; slots it is still filling are not missing disks.
  if (a.action === 'reshape') return 'reshaping';
  if (a.action === 'resync' || a.action === 'repair') return 'resyncing';
  const short = a.slots !== null && a.inSync !== null && a.inSync < a.slots;
  if (short && a.pending) return 'recovery-pending';
  if (short) return 'degraded';
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
  // A recovery waiting its turn (resync=DELAYED) has the same disk to rebuild as a running one.
  if (a.action !== 'recovery' && !(a.pending && a.action === null)) return out;
  for (const d of a.devices) if (d.replacement && !d.faulty) out.add(d.name);
  if (out.size > 0) return out;
  if (detail && a.slotMap) {
    for (const [dev, role] of detail.roles) {
      if (typeof role === 'number' && a.slotMap[role] === '_') out.add(dev.replace(/^\/dev\//, ''));
    }
    if (out.size > 0) return out;
  }
  const working = a.devices.filter((d) => !d.faulty && !d.spare && !d.journal).sort((x, y) => y.index - x.index);
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
  // A pending recovery has not begun: its disk waits, as a spare does.
  const copying: MemberState = a.action === 'recovery' ? 'rebuilding' : 'spare';
  const reshaping = a.action === 'reshape';
  const members: RaidMember[] = a.devices.map((d) => {
    const role = detail?.roles.get(`/dev/${d.name}`);
    const state: MemberState = d.faulty
      ? 'faulty'
      : d.journal || role === 'journal'
        ? 'journal'
        : rebuilding.has(d.name)
          ? copying
          : d.spare && !reshaping
            ? 'spare'
            : 'active';
    return { bay: bayOf(bays, d.name), device: d.name, state, slot: typeof role === 'number' ? role : null };
  });
  const holding = members.filter((m) => m.state === 'active' || m.state === 'rebuilding' || (m.state === 'spare' && rebuilding.has(m.device))).length;
  // A container's disks fill no slot of its own: it holds them for its member arrays.
  const slots = a.container ? members.length : (a.slots ?? detail?.devices ?? holding);
  let free = reshaping || a.container ? 0 : Math.max(0, slots - holding);
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
  // Every running sync keeps its figures, a check's included (the array stays clean meanwhile).
  const running = a.action !== null && state !== 'failed';
  return {
    array: a.name,
    level: a.container ? 'container' : (a.level ?? detail?.level ?? 'unknown'),
    state,
    devicesTotal: slots,
    // RAID 0 and linear print no [n/m]: every active member is in sync.
    devicesInSync: a.inSync ?? (a.container ? slots : members.filter((m) => m.state === 'active').length),
    percent: running ? a.percent : null,
    speedKiBps: running ? a.speedKiBps : null,
    finishSec: running && a.finishMin !== null ? Math.round(a.finishMin * 60) : null,
    checking: a.action === 'check',
    members,
    metadata: a.metadata ?? detail?.metadata ?? null,
  };
}
