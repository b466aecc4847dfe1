import { worded } from '../ras/ticket-catalogue.js';
import type { Severity, TicketWording } from '../ras/tickets.js';
import type { BayHealth, DriverFamily, Health } from './health.js';
import { BAY_EMPTY_MAX_MS, REBUILD_MILESTONES } from './manual.js';

export interface DesiredTicket {
  condition: string;
  severity: Severity;
  /** The neutral words; `wording` lets a front end word it its own way. */
  text: string;
  wording: TicketWording;
}

/** Every hardware ticket's condition starts with this; the reconciler touches no other ticket. */
export const HW_PREFIX = 'hw:';

const disk = (serial: string | null) => (serial ? `disk ${serial}` : 'the disk');
const replaceHow = (bay: number) =>
  `pull it from bay ${bay} and insert a blank disk of the same size within 10 minutes; the mirror rebuilds by itself (up to about 45 minutes)`;

const DRIVER_WORDS: Record<DriverFamily, string> = {
  raid: 'read the RAID array',
  disks: 'read the disks',
  leds: 'drive the front-panel LEDs',
  cdrom: 'read the CD drive',
  usb: 'list the USB devices',
  beeps: 'hear the POST beeps',
};

function bayTickets(b: BayHealth, h: Health): DesiredTicket[] {
  const t: DesiredTicket[] = [];
  const key = (what: string) => `${HW_PREFIX}${what}:bay${b.bay}`;
  if (b.condition === 'faulty') {
    t.push({ condition: key('disk-failed'), severity: 'error', text: `The ${disk(b.serial)} in bay ${b.bay} has failed and left the mirror; replace it: ${replaceHow(b.bay)}.`, wording: worded('disk-failed', { bay: b.bay, serial: b.serial }) });
  }
  if (b.condition === 'rebuild-failed') {
    t.push({ condition: key('rebuild-failed'), severity: 'error', text: `The rebuild onto the new ${disk(b.serial)} in bay ${b.bay} failed, so that disk is faulty; pull it and insert another blank disk.`, wording: worded('rebuild-failed', { bay: b.bay, serial: b.serial }) });
  }
  if (b.condition === 'empty') {
    t.push({ condition: key('disk-missing'), severity: 'error', text: `Bay ${b.bay} is empty${b.lastSerial ? ` (${disk(b.lastSerial)} was removed)` : ''} and the mirror runs on one disk; insert a replacement disk in bay ${b.bay}.`, wording: worded('disk-missing', { bay: b.bay, lastSerial: b.lastSerial }) });
    if (b.emptyForMs !== null && b.emptyForMs > BAY_EMPTY_MAX_MS) {
      t.push({ condition: key('bay-empty-long'), severity: 'critical', text: `Bay ${b.bay} has been empty for more than 10 minutes and the appliance's cooling needs every bay filled; insert a disk or a blank carrier in bay ${b.bay} now.`, wording: worded('bay-empty-long', { bay: b.bay }) });
    }
  }
  if (b.smartFailing && b.condition !== 'faulty' && b.condition !== 'rebuild-failed') {
    t.push({ condition: key('smart-failing'), severity: 'warning', text: `SMART on the ${disk(b.serial)} in bay ${b.bay} predicts that it will fail; replace it soon, while the other disk is healthy: ${replaceHow(b.bay)}.`, wording: worded('smart-failing', { bay: b.bay, serial: b.serial }) });
  }
  if (b.concerns.length > 0 && b.condition !== 'faulty' && b.condition !== 'rebuild-failed') {
    t.push({ condition: key('disk-wearing'), severity: 'warning', text: `The ${disk(b.serial)} in bay ${b.bay} reports ${b.concerns.join('; ')}; plan its replacement while the other disk is healthy: ${replaceHow(b.bay)}.`, wording: worded('disk-wearing', { bay: b.bay, serial: b.serial, figures: b.concerns }) });
  }
  if (b.hot) {
    t.push({ condition: key('temperature-high'), severity: 'warning', text: `The ${disk(b.serial)} in bay ${b.bay} is at ${b.temperatureC} °C, too hot; check the fans, the air filters and that no bay is empty.`, wording: worded('temperature-high', { bay: b.bay, serial: b.serial, temperatureC: b.temperatureC }) });
  }
  if (b.condition === 'rebuilding') {
    // Progress is a sequence of notices; each closes when the next one opens (history keeps them all).
    const pct = h.array.percent;
    const reached = REBUILD_MILESTONES.filter((m) => pct !== null && pct >= m).pop();
    if (reached === undefined) {
      t.push({ condition: key('rebuild-started'), severity: 'info', text: `A rebuild onto the ${disk(b.serial)} in bay ${b.bay} has started; leave both disks in place until it finishes (up to about 45 minutes).`, wording: worded('rebuild-started', { bay: b.bay, serial: b.serial }) });
    } else {
      t.push({ condition: `${key('rebuild-progress')}:${reached}`, severity: 'info', text: `The rebuild onto the ${disk(b.serial)} in bay ${b.bay} is ${reached} % done; leave both disks in place until it finishes.`, wording: worded('rebuild-progress', { bay: b.bay, serial: b.serial, percent: reached }) });
    }
  }
  return t;
}

/**
 * Health in, the set of hardware tickets that should be open now. Events (rebuild
 * started, progress, finished) are notices that stay open until the next state of the
 * same rebuild (or, for "finished", for an hour), then close and remain as history.
 */
export function desiredTickets(h: Health, devices: Partial<Record<DriverFamily, string>> = {}): DesiredTicket[] {
  const t = h.bays.flatMap((b) => bayTickets(b, h));
  if (h.disksOut >= 2) {
    t.push({ condition: `${HW_PREFIX}disks-out`, severity: 'critical', text: `${h.disksOut} disks are out of the mirror at once, so the keystore has no working copy on disk; put back the disk pulled last, or call service before you power the appliance off.`, wording: worded('disks-out', { count: h.disksOut }) });
  }
  if (h.rebuildFinished) {
    const f = h.rebuildFinished;
    t.push({ condition: `${HW_PREFIX}rebuild-finished:bay${f.bay}`, severity: 'info', text: `The rebuild onto the ${disk(f.serial)} in bay ${f.bay} finished and the mirror is whole again; nothing more to do.`, wording: worded('rebuild-finished', { bay: f.bay, serial: f.serial }) });
  }
  const c = h.controller;
  if (c?.statusBad) {
    t.push({ condition: `${HW_PREFIX}raid-controller`, severity: 'error', text: `The RAID controller reports its state as "${c.status}"; read its event log for the cause and call service, as the disks' own tickets say nothing of the controller.`, wording: worded('raid-controller', { status: c.status ?? 'unknown' }) });
  }
  if (c?.batteryBad && c.battery) {
    const b = c.battery;
    t.push({ condition: `${HW_PREFIX}cache-battery`, severity: 'warning', text: `The RAID controller's cache ${b.kind} reports "${b.state}": the controller may stop caching writes (slower) and writes in its cache could be lost at a power cut; have the ${b.kind} replaced.`, wording: worded('cache-battery', { kind: b.kind, state: b.state }) });
  }
  if (h.bootDegraded) {
    t.push({ condition: `${HW_PREFIX}degraded-at-boot:${h.array.name}`, severity: 'error', text: `The mirror ${h.array.name} was not whole when qkmd started (after a power loss or an unclean shutdown); check the disk tickets and let any rebuild finish before you rely on the disks.`, wording: worded('degraded-at-boot', { array: h.array.name }) });
  }
  if (h.post?.verdict === 'problem') {
    const p = h.post;
    const heard = p.repeating ? `${p.pattern}, again and again` : p.pattern;
    t.push({ condition: `${HW_PREFIX}post-beeps:${p.pattern.replace(/ /g, '_')}`, severity: 'error', text: `At its last start the server beeped ${heard}: POST found a problem. ${p.meaning} ${p.action}`, wording: worded('post-beeps', { pattern: p.pattern, repeating: p.repeating, meaning: p.meaning, action: p.action }) });
  }
  for (const f of h.blind) {
    const device = devices[f];
    const text = device
      ? `The hardware agent cannot ${DRIVER_WORDS[f]} because ${device} stopped answering; check its cable and power, see qkmd's log, and restart qkmd if it does not recover within a few minutes.`
      : `The hardware agent cannot ${DRIVER_WORDS[f]}, so LEDs and tickets may be out of date; see qkmd's log, and restart qkmd if it does not recover within a few minutes.`;
    t.push({ condition: `${HW_PREFIX}driver-blind:${f}`, severity: 'error', text, wording: worded('driver-blind', { family: f, ...(device ? { device } : {}) }) });
  }
  return t;
}
