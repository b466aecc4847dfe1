import { NO_DRIVE } from '../../drivers/cdrom/contract.js';
import type { DiskInfo } from '../../drivers/disks/contract.js';
import type { LedState } from '../../drivers/leds/contract.js';
import type { RaidStatus } from '../../drivers/raid/contract.js';
import { type UsbDevice, describeUsbDevice, usbRole } from '../../drivers/usb/contract.js';
import type { HardwareHost } from '../hardware/start.js';
import type { BayCondition } from '../agent/health.js';
import { HW_PREFIX } from '../agent/desired-tickets.js';
import type { TicketStore } from '../agent/reconcile.js';

const DARK: LedState = { state: 'off' };

export interface StatusTicket {
  id: number;
  condition: string;
  severity: string;
  open: boolean;
  /** The agent's neutral words; a front end may word it from `kind` and `params` instead. */
  text: string;
  kind: string | null;
  params: unknown;
  openedAt: number;
  closedAt: number | null;
}

/** The reply to `hw status`, and the shape `qkmcmds hw status --json` prints (fields may be added, never renamed). */
export interface HwStatus {
  leds: {
    power: LedState;
    hddActivity: LedState;
    serverError: LedState;
    cdActivity: LedState;
    bays: { bay: number; activity: LedState; status: LedState }[];
  };
  raid: {
    state: string;
    percent: number | null;
    array: string | null;
    level: string | null;
    devicesTotal: number | null;
    devicesInSync: number | null;
    finishSec: number | null;
    speedKiBps: number | null;
    members: { bay: number | null; device: string; state: string }[];
  };
  disks: (DiskInfo & { condition: BayCondition | null })[];
  /** The CD drive; `present: false` on a box without one. `media` is null with no disc or the tray open. */
  cd: { present: boolean; trayOpen: boolean | null; media: { label: string | null; sizeBytes: number | null } | null; busy: boolean };
  /**
   * What is plugged into the USB ports. A device's `role` says what the box makes of it:
   * `update-source` (a CD/DVD drive, which the update system reads), `console` (a
   * USB-serial adapter, a console line), or null. `unavailable` says why none can be
   * listed on this machine; null when they can.
   */
  usb: { devices: (UsbDevice & { role: 'update-source' | 'console' | null; line: string; cd?: HwStatus['cd'] })[]; unavailable: string | null };
  /** The last boot's POST beeps as heard (null before any): the pattern and whether it means POST passed. */
  post: { pattern: string; repeating: boolean; verdict: 'passed' | 'problem'; at: number } | null;
  tickets: StatusTicket[];
  agent: { profile: string; running: boolean; at: number | null; passes: number; serverError: boolean; blind: string[]; drivers: Record<string, unknown> };
}

/** The panel's LEDs in `hw status`'s shape, each read through `led`. */
export function ledSection(led: (id: string) => LedState, bayCount: number): HwStatus['leds'] {
  return {
    power: led('power'),
    hddActivity: led('hddActivity'),
    serverError: led('serverError'),
    cdActivity: led('cdActivity'),
    bays: Array.from({ length: bayCount }, (_, bay) => ({ bay, activity: led(`bay${bay}.activity`), status: led(`bay${bay}.status`) })),
  };
}

/** One RAID reading in `hw status`'s shape ("unknown" when there is none). */
export function raidSection(raid: RaidStatus | null): HwStatus['raid'] {
  return {
    state: raid?.state ?? 'unknown',
    percent: raid?.percent ?? null,
    array: raid?.array ?? null,
    level: raid?.level ?? null,
    devicesTotal: raid?.devicesTotal ?? null,
    devicesInSync: raid?.devicesInSync ?? null,
    finishSec: raid?.finishSec ?? null,
    speedKiBps: raid?.speedKiBps ?? null,
    members: raid?.members.map((m) => ({ bay: m.bay, device: m.device, state: m.state })) ?? [],
  };
}

/** How many closed hardware tickets `hw status` shows as recent history. */
const RECENT_CLOSED = 10;

export function hwStatus(host: HardwareHost, tickets: TicketStore): HwStatus {
  const snap = host.agent?.snapshot() ?? null;
  // On the simulator, read the panel itself: that proves the LEDs were really set.
  const lit: Record<string, LedState> = host.sim ? host.sim.leds.snapshot() : (snap?.applied as Record<string, LedState>) ?? {};
  const led = (id: string) => lit[id] ?? DARK;
  const bayCount = snap?.health?.bays.length ?? 2;
  const raid = snap?.raid ?? null;
  const all = tickets.list();
  const closedHw = all.filter((t) => !t.open && t.condition.startsWith(HW_PREFIX)).slice(-RECENT_CLOSED);
  const shown = [...all.filter((t) => t.open), ...closedHw].sort((a, b) => a.id - b.id);
  return {
    leds: ledSection(led, bayCount),
    raid: raidSection(raid),
    disks: (snap?.disks ?? []).map((d) => ({ ...d, condition: snap?.health?.bays[d.bay]?.condition ?? null })),
    cd: snap?.cd ? { present: snap.cd.present, trayOpen: snap.cd.trayOpen, media: snap.cd.media, busy: snap.cd.busy } : { ...NO_DRIVE },
    post: snap?.health?.post ? { pattern: snap.health.post.pattern, repeating: snap.health.post.repeating, verdict: snap.health.post.verdict, at: snap.health.post.at } : null,
    usb: {
      // A CD/DVD drive also says what a CD drive says: its disc, and whether it is being read.
      devices: (snap?.usb ?? []).map((d) => ({ ...d, role: usbRole(d), line: describeUsbDevice(d), ...(snap?.usbCds[d.busPath] ? { cd: { ...snap.usbCds[d.busPath]! } } : {}) })),
      unavailable: snap?.usbUnavailable ?? null,
    },
    tickets: shown.map((t) => ({ id: t.id, condition: t.condition, severity: t.severity, open: t.open, text: t.text, kind: t.kind, params: t.params, openedAt: t.openedAt, closedAt: t.closedAt })),
    agent: {
      profile: host.profile,
      running: host.agent !== null,
      at: snap?.at ?? null,
      passes: snap?.passes ?? 0,
      serverError: snap?.health?.serverError ?? false,
      blind: snap?.health?.blind ?? [],
      drivers: snap?.drivers ?? {},
    },
  };
}
