import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NO_DRIVE } from '../../drivers/cdrom/contract.js';
import { type DiskInfo, emptyBay } from '../../drivers/disks/contract.js';
import { SmartctlDisks } from '../../drivers/disks/smartctl.js';
import { LED_OFF, type LedState } from '../../drivers/leds/contract.js';
import type { RaidStatus } from '../../drivers/raid/contract.js';
import type { BayDisks } from '../../drivers/raid/bays.js';
import { mdStatusFromDetail } from '../../drivers/raid/md-detail-status.js';
import { detailTextRoles, parseMdadmDetailText } from '../../drivers/raid/mdadm-detail-text.js';
import { type MdadmDetail, parseMdadmDetailExport } from '../../drivers/raid/mdadm-detail.js';
import { mdStatus } from '../../drivers/raid/md-status.js';
import { parseMdstat } from '../../drivers/raid/mdstat.js';
import { parseStorcliShowAll } from '../../drivers/raid/storcli.js';
import { initialMemory } from '../agent/memory.js';
import { supervise } from '../agent/supervisor.js';
import { QkmError } from '../errors.js';
import { type HwStatus, ledSection, raidSection } from '../status/hardware.js';
import { CaptureRunner, type UnreadableFile, openCapture } from './capture.js';

/** Which of the capture's arrays is the appliance's, and where its disks sit. */
export interface DiagnoseSettings {
  /** Bay -> disk ("/dev/sda"). */
  bays: BayDisks;
  /** The md array the appliance watches ("md0"). */
  mdName: string;
  /** storcli enclosure:slot -> bay. */
  slotBays: Record<string, number>;
  diskTempMaxC: number;
}

/** `hw status`'s document for the capture, with what only a diagnosis has. */
export interface Diagnosis extends HwStatus {
  capture: string;
  /** Where the bays and the array came from: the configuration given, or the one in the capture. */
  settingsFrom: string;
  /** Every array the capture shows (the appliance's is `raid`). */
  arrays: RaidStatus[];
  /** Files that could not be used, each with the reason; the rest was still diagnosed. */
  unreadable: UnreadableFile[];
}

// Reasons are joined into one sentence: each loses its own full stop.
const reasonOf = (e: unknown) => (e instanceof Error ? e.message : String(e)).replace(/\.$/, '');

async function listFiles(root: string, dir: string, ext: string): Promise<string[]> {
  const names = await fs.readdir(path.join(root, dir)).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(ext)).sort().map((n) => `${dir}/${n}`);
}

/** The appliance's array among several: the configured one, else the only RAID 1, else the only array. */
function pickArray(arrays: RaidStatus[], wanted: string): RaidStatus | null {
  return arrays.find((a) => a.array === wanted) ?? arrays.find((a) => a.level === 'raid1') ?? (arrays.length === 1 ? arrays[0]! : null);
}

/** Everything about the RAID that the capture shows: md (mdstat sharpened by mdadm, or mdadm alone) or storcli. */
async function readRaid(root: string, s: DiagnoseSettings, unreadable: UnreadableFile[]): Promise<{ arrays: RaidStatus[]; raid: RaidStatus | null }> {
  const mdstatText = await fs.readFile(path.join(root, 'proc/mdstat'), 'utf8').catch(() => null);
  if (mdstatText !== null) {
    try {
      const parsed = parseMdstat(mdstatText);
      const arrays: RaidStatus[] = [];
      for (const a of parsed) arrays.push(mdStatus(a, s.bays, await mdadmRoles(root, a.name, unreadable)));
      // The md backend's own parsers, with mdadm's roles from whichever of its two forms was captured.
      return { arrays, raid: pickArray(arrays, s.mdName) };
    } catch (e) {
      unreadable.push({ file: 'proc/mdstat', reason: reasonOf(e) });
    }
  }
  const arrays: RaidStatus[] = [];
  for (const file of await listFiles(root, 'mdadm', '.txt')) {
    try {
      arrays.push(mdStatusFromDetail(parseMdadmDetailText(await fs.readFile(path.join(root, file), 'utf8')), s.bays));
    } catch (e) {
      unreadable.push({ file, reason: reasonOf(e) });
    }
  }
  for (const file of await listFiles(root, 'storcli', '.json')) {
    try {
      arrays.push(parseStorcliShowAll(await fs.readFile(path.join(root, file), 'utf8'), { slotBays: s.slotBays }));
    } catch (e) {
      unreadable.push({ file, reason: reasonOf(e) });
    }
  }
  return { arrays, raid: pickArray(arrays, s.mdName) };
}

/** mdadm's roles for one array, from its --export file, else its plain --detail file; a damaged one is named. */
async function mdadmRoles(root: string, name: string, unreadable: UnreadableFile[]): Promise<MdadmDetail | undefined> {
  for (const [file, parse] of [
    [`mdadm/${name}.export`, parseMdadmDetailExport],
    [`mdadm/${name}.txt`, (t: string) => detailTextRoles(parseMdadmDetailText(t))],
  ] as const) {
    const text = await fs.readFile(path.join(root, file), 'utf8').catch(() => null);
    if (text === null) continue;
    try {
      return parse(text);
    } catch (e) {
      unreadable.push({ file, reason: reasonOf(e) });
    }
  }
  return undefined;
}

/** Each bay's disk through the smartctl backend over the capture; a bay with no readable file is left out. */
async function readDisks(root: string, s: DiagnoseSettings, runner: CaptureRunner, unreadable: UnreadableFile[]): Promise<DiskInfo[]> {
  const backend = new SmartctlDisks({ runner, bays: s.bays });
  const out: DiskInfo[] = [];
  for (const bay of backend.bays()) {
    const file = `smartctl/${String(s.bays[bay]).replace(/^\/dev\//, '')}.json`;
    try {
      out.push(await backend.read(bay));
    } catch (e) {
      unreadable.push({ file, reason: (await fs.stat(path.join(root, file)).then(() => true, () => false)) ? reasonOf(e) : 'not in the capture' });
    }
  }
  return out;
}

/**
 * Diagnoses a log capture (a folder or its .tgz): the real parsers and backends read
 * the captured tool outputs instead of the machine, and the agent's own supervisor
 * judges them, as one reading of a box that has been running (no boot check).
 */
export async function diagnoseCapture(
  capture: string, settingsFor: (capturedConfig: string | null) => DiagnoseSettings & { from: string }, now = Date.now(),
): Promise<Diagnosis> {
  const opened = await openCapture(capture);
  try {
    const { root } = opened;
    const capturedConfig = path.join(root, 'config', 'qkm.toml');
    const s = settingsFor(await fs.access(capturedConfig).then(() => capturedConfig, () => null));
    const unreadable: UnreadableFile[] = [];
    const runner = new CaptureRunner(root);
    const { arrays, raid } = await readRaid(root, s, unreadable);
    const disks = await readDisks(root, s, runner, unreadable);
    if (raid === null && disks.length === 0) {
      const reasons = unreadable.length ? unreadable.map((u) => `${u.file}: ${u.reason}`).join('; ') : 'no array and no disk of the appliance in it';
      throw new QkmError('CAPTURE_EMPTY', `${capture} holds no RAID or disk reading that can be used (${reasons}).`, { params: { path: capture, reasons } });
    }
    const bayCount = Object.keys(s.bays).length;
    const memory = { ...initialMemory(bayCount), bootChecked: true };
    const v = supervise(memory, { raid, disks: disks.length ? disks : null, events: [], now }, [], s.diskTempMaxC);
    const led = (id: string): LedState => (v.leds as Record<string, LedState>)[id] ?? LED_OFF;
    return {
      capture,
      settingsFrom: s.from,
      leds: ledSection(led, bayCount),
      raid: raidSection(raid),
      arrays,
      // A bay whose disk could not be read still shows what the array says of it.
      disks: v.health.bays.map((b) => ({ ...(disks.find((d) => d.bay === b.bay) ?? { ...emptyBay(b.bay), present: b.condition !== 'empty' }), condition: b.condition })),
      cd: { ...NO_DRIVE },
      usb: { devices: [], unavailable: 'a log capture does not list USB devices' },
      post: null,
      tickets: v.tickets.map((t, i) => ({
        id: i + 1, condition: t.condition, severity: t.severity, open: true, text: t.text,
        kind: t.wording.kind, params: t.wording.params, openedAt: now, closedAt: null,
      })),
      agent: { profile: 'capture', running: false, at: now, passes: 1, serverError: v.health.serverError, blind: [], drivers: {} },
      unreadable,
    };
  } finally {
    await opened.close();
  }
}
