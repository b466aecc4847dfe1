import { DriverError } from '../errors.js';

/** One component device as /proc/mdstat lists it: `sdb2[2](F)`. */
export interface MdstatDevice {
  name: string;
  /** The descriptor number in brackets; not the role in the array. */
  index: number;
  faulty: boolean;
  spare: boolean;
  writeMostly: boolean;
  replacement: boolean;
  journal: boolean;
}

export type MdSyncAction = 'recovery' | 'resync' | 'reshape' | 'check' | 'repair';

export interface MdstatArray {
  name: string;
  active: boolean;
  /** `(read-only)`: set read-only by hand. */
  readOnly: boolean;
  /** `(auto-read-only)`: not written to since assembly; the first write makes it read-write. */
  autoReadOnly: boolean;
  level: string | null;
  /** From `super 1.2`, `super external:imsm`, `super external:/md127/0`; null when mdstat omits it (0.90). */
  metadata: string | null;
  /** An IMSM/DDF container (`super external:imsm`): it holds member arrays' disks, it is not an array itself. */
  container: boolean;
  devices: MdstatDevice[];
  blocks: number | null;
  /** From `[2/1]`: slots in the array, slots holding an in-sync disk. */
  slots: number | null;
  inSync: number | null;
  /** From `[U_]`: one character per slot, `U` in sync, `_` not. */
  slotMap: string | null;
  action: MdSyncAction | null;
  percent: number | null;
  doneBlocks: number | null;
  totalBlocks: number | null;
  finishMin: number | null;
  speedKiBps: number | null;
  /** `resync=DELAYED` / `resync=PENDING`: a sync waits its turn. */
  pending: 'DELAYED' | 'PENDING' | null;
}

const HEADER = /^(md[^\s:]*)\s*:\s*(active|inactive)\s*(.*)$/;
const DEVICE = /^([^\s[]+)\[(\d+)\]((?:\([A-Z]\))*)$/;
const LEVEL = /^(raid\d+|linear|multipath|faulty|container)$/;
const STATUS = /^\s*(\d+)\s+blocks\b.*?(?:\[(\d+)\/(\d+)\]\s*\[([U_]+)\])?\s*$/;
const SUPER = /\bsuper\s+(\S+)/;
const PROGRESS =
  /(recovery|resync|reshape|check|repair)\s*=\s*([\d.]+)%\s*\((\d+)\/(\d+)\)\s*finish=([\d.]+)min\s*speed=(\d+)K\/sec/;
const PENDING = /\b(?:resync|recovery)=(DELAYED|PENDING)\b/;

function parseDevice(token: string): MdstatDevice | undefined {
  const m = DEVICE.exec(token);
  if (!m) return undefined;
  const flags = m[3] ?? '';
  return {
    name: m[1]!,
    index: Number(m[2]),
    faulty: flags.includes('(F)'),
    spare: flags.includes('(S)'),
    writeMostly: flags.includes('(W)'),
    replacement: flags.includes('(R)'),
    journal: flags.includes('(J)'),
  };
}

/** Parses the whole of /proc/mdstat into its arrays, in file order. */
export function parseMdstat(text: string): MdstatArray[] {
  const lines = text.split(/\r?\n/);
  if (!lines.some((l) => l.startsWith('Personalities'))) {
    throw new DriverError('PARSE_FAILED', 'The md status file does not look like /proc/mdstat.', { head: text.slice(0, 200) });
  }
  const arrays: MdstatArray[] = [];
  let cur: MdstatArray | undefined;
  for (const line of lines) {
    const header = HEADER.exec(line);
    if (header) {
      const rest = header[3]!.split(/\s+/).filter(Boolean);
      let readOnly = false;
      let autoReadOnly = false;
      while (rest[0]?.startsWith('(')) {
        if (rest[0] === '(read-only)') readOnly = true;
        if (rest[0] === '(auto-read-only)') autoReadOnly = true;
        rest.shift();
      }
      const level = rest[0] && LEVEL.test(rest[0]) ? rest.shift()! : null;
      const devices = rest.map(parseDevice);
      const bad = rest.find((_, i) => devices[i] === undefined);
      if (bad !== undefined) {
        throw new DriverError('PARSE_FAILED', `The md status file is cut off or damaged at ${header[1]} ("${bad}" is not a member device).`, { array: header[1], token: bad });
      }
      cur = {
        name: header[1]!,
        active: header[2] === 'active',
        readOnly,
        autoReadOnly,
        level,
        metadata: null,
        container: false,
        devices: devices as MdstatDevice[],
        blocks: null,
        slots: null,
        inSync: null,
        slotMap: null,
        action: null,
        percent: null,
        doneBlocks: null,
        totalBlocks: null,
        finishMin: null,
        speedKiBps: null,
        pending: null,
      };
      arrays.push(cur);
      continue;
    }
    if (!cur || line.trim() === '') continue;
    const status = STATUS.exec(line);
    if (status && cur.blocks === null) {
      cur.blocks = Number(status[1]);
      cur.metadata = SUPER.exec(line)?.[1] ?? null;
      cur.container = /^external:[^/]/.test(cur.metadata ?? '') || cur.level === 'container';
      if (status[2]) {
        cur.slots = Number(status[2]);
        cur.inSync = Number(status[3]);
        cur.slotMap = status[4]!;
      }
      continue;
    }
    const progress = PROGRESS.exec(line);
    if (progress) {
      cur.action = progress[1] as MdSyncAction;
      cur.percent = Number(progress[2]);
      cur.doneBlocks = Number(progress[3]);
      cur.totalBlocks = Number(progress[4]);
      cur.finishMin = Number(progress[5]);
      cur.speedKiBps = Number(progress[6]);
      continue;
    }
    const pending = PENDING.exec(line);
    if (pending) cur.pending = pending[1] as 'DELAYED' | 'PENDING';
  }
  // Every running array has a blocks line right under its header; without it the file was cut off.
  const cut = arrays.find((a) => a.blocks === null && a.active);
  if (cut) throw new DriverError('PARSE_FAILED', `The md status file is cut off: ${cut.name} has no size line.`, { array: cut.name });
  return arrays;
}
