import { DriverError } from '../errors.js';
import type { MdadmDetail } from './mdadm-detail.js';

/** One row of the member table (or of the faulty/spare rows mdadm lists below it). */
export interface MdadmDetailRow {
  /** mdadm's descriptor number; null for a removed slot printed as `-`. */
  number: number | null;
  /** The slot the device fills; null for `-` (a spare, a faulty device, a journal, a container's disk). */
  role: number | null;
  /** The words of the State column: active, sync, spare, rebuilding, faulty, removed, writemostly, failfast, journal, replacement, set-A... */
  flags: string[];
  /** `/dev/sda1`; null for a removed slot. */
  device: string | null;
}

export type MdadmProgressKind = 'rebuild' | 'resync' | 'check' | 'reshape';

/** What plain `mdadm --detail /dev/mdX` prints, for any metadata (0.90, 1.x, IMSM, DDF, containers). */
export interface MdadmDetailText {
  device: string | null;
  /** The Version line: "1.2", "0.90", "imsm", "ddf"; null for a container member (see `container`). */
  metadata: string | null;
  level: string | null;
  /** The State line's words, in order: "clean", "degraded", "recovering", "resyncing", "checking", "reshaping", "FAILED", "Not Started", "inactive"... */
  states: string[];
  /** "resyncing (DELAYED)" or "(PENDING)": the sync waits behind another array's. */
  delayed: boolean;
  raidDevices: number | null;
  totalDevices: number | null;
  activeDevices: number | null;
  workingDevices: number | null;
  failedDevices: number | null;
  spareDevices: number | null;
  progress: { kind: MdadmProgressKind; percent: number } | null;
  /** "Container : /dev/md/imsm0, member 0": the container a member array lives in. */
  container: string | null;
  /** A container's "Member Arrays". */
  memberArrays: string[];
  uuid: string | null;
  name: string | null;
  rows: MdadmDetailRow[];
}

const FIELD = /^\s*([A-Za-z][A-Za-z ]*?)\s+:\s?(.*)$/;
const TABLE_HEAD = /^\s*Number\s+Major\s+Minor\s+RaidDevice/;
const ROW = /^\s*(\d+|-)\s+(\d+)\s+(\d+)\s+(\d+|-)\s*(.*)$/;
const PROGRESS = /^(Rebuild|Resync|Check|Reshape) Status$/;

const count = (v: string | undefined): number | null => (v !== undefined && /^\d+/.test(v) ? Number.parseInt(v, 10) : null);

function parseRow(line: string): MdadmDetailRow | null {
  const m = ROW.exec(line);
  if (!m) return null;
  const words = m[5]!.trim().split(/\s+/).filter(Boolean);
  const device = words.length && words[words.length - 1]!.startsWith('/dev/') ? words.pop()! : null;
  // mdadm before 3.3 printed a removed slot's number as 0 rather than "-".
  const removed = words.includes('removed');
  return {
    number: m[1] === '-' || removed ? null : Number(m[1]),
    role: m[4] === '-' ? null : Number(m[4]),
    flags: words,
    device,
  };
}

/**
 * Parses plain `mdadm --detail` text. Field names are matched whatever their
 * indentation (it differs between mdadm versions); anything that is neither a field
 * nor a member row is ignored, but text with no Raid Level, no Version and no member
 * table is not mdadm's and is refused.
 */
export function parseMdadmDetailText(text: string): MdadmDetailText {
  const lines = text.split(/\r?\n/);
  const fields = new Map<string, string>();
  const rows: MdadmDetailRow[] = [];
  let device: string | null = null;
  let inTable = false;
  for (const line of lines) {
    if (device === null && /^\/dev\/\S+:\s*$/.test(line)) {
      device = line.trim().slice(0, -1);
      continue;
    }
    if (TABLE_HEAD.test(line)) {
      inTable = true;
      continue;
    }
    if (inTable) {
      const row = parseRow(line);
      if (row) rows.push(row);
      continue;
    }
    const f = FIELD.exec(line);
    if (f && !fields.has(f[1]!)) fields.set(f[1]!, f[2]!.trim());
  }
  if (!fields.has('Raid Level') && !fields.has('Version') && !inTable) {
    throw new DriverError('PARSE_FAILED', 'The text is not the output of mdadm --detail (it has no Raid Level, Version or member table).', { head: text.slice(0, 200) });
  }
  const stateLine = fields.get('State') ?? '';
  let progress: MdadmDetailText['progress'] = null;
  for (const [k, v] of fields) {
    const p = PROGRESS.exec(k);
    const pct = /^([\d.]+)%/.exec(v);
    if (p && pct) progress = { kind: p[1]!.toLowerCase() as MdadmProgressKind, percent: Number(pct[1]) };
  }
  const version = fields.get('Version') ?? null;
  return {
    device,
    metadata: version,
    level: fields.get('Raid Level') ?? null,
    states: stateLine.split(',').map((w) => w.replace(/\((DELAYED|PENDING)\)/, '').trim()).filter(Boolean),
    delayed: /\((DELAYED|PENDING)\)/.test(stateLine),
    raidDevices: count(fields.get('Raid Devices')),
    totalDevices: count(fields.get('Total Devices')),
    activeDevices: count(fields.get('Active Devices')),
    workingDevices: count(fields.get('Working Devices')),
    failedDevices: count(fields.get('Failed Devices')),
    spareDevices: count(fields.get('Spare Devices')),
    progress,
    container: fields.get('Container') ?? null,
    memberArrays: (fields.get('Member Arrays') ?? '').split(/\s+/).filter(Boolean),
    uuid: fields.get('UUID')?.split(/\s/)[0] ?? null,
    name: fields.get('Name')?.split(/\s/)[0] ?? null,
    rows,
  };
}

/** The member roles plain --detail gives, in the form --detail --export gives them, so either can sharpen /proc/mdstat. */
export function detailTextRoles(d: MdadmDetailText): MdadmDetail {
  const roles = new Map<string, number | string>();
  for (const r of d.rows) {
    if (!r.device) continue;
    const role = r.flags.includes('faulty') ? 'faulty' : r.flags.includes('journal') ? 'journal' : r.role ?? 'spare';
    // Two members in one slot during a replacement: the one in sync keeps the slot.
    if (typeof role === 'number' && !r.flags.includes('sync') && [...roles.values()].includes(role)) {
      roles.set(r.device, 'spare');
      continue;
    }
    roles.set(r.device, role);
  }
  return { level: d.level, metadata: d.metadata, devname: null, devices: d.raidDevices, uuid: d.uuid, name: d.name, roles };
}
