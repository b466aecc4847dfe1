import type { CommandRunner } from '../runner.js';
import { DriverError } from '../errors.js';
import type { ArrayState, ControllerHealth, MemberState, RaidBackend, RaidListener, RaidMember, RaidStatus } from './contract.js';
import { RaidEmitter, diffRaidStatus } from './events.js';

export interface StorcliRaidOptions {
  runner: CommandRunner;
  /** The storcli binary ("storcli", "storcli64", "perccli64"). */
  command?: string;
  controller?: number;
  /** Virtual drive as "DG/VD" ("0/0"); default the first one. */
  virtualDrive?: string;
  /** Enclosure:slot -> front bay, e.g. { '252:0': 0, '252:1': 1 }. */
  slotBays?: Readonly<Record<string, number>>;
  progressStep?: number;
  timeoutMs?: number;
}

type Row = Record<string, unknown>;

// storcli's abbreviations (explained in its plain-text legend): Onln online,
// Rbld rebuild, Offln/Failed failed, UBad unconfigured bad, DHS/GHS hot spares,
// Msng missing, UGood unconfigured good.
function memberState(s: string): MemberState {
  switch (s) {
    case 'Onln':
      return 'active';
    case 'Rbld':
      return 'rebuilding';
    case 'DHS':
    case 'GHS':
    case 'UGood':
      return 'spare';
    case 'Msng':
      return 'missing';
    default:
      return 'faulty';
  }
}

function vdState(s: string, members: RaidMember[]): ArrayState {
  if (s === 'Optl') return 'clean';
  if (s === 'OfLn' || s === 'Offln') return 'failed';
  // A degraded VD with a drive in Rbld is a rebuild in progress.
  if (members.some((m) => m.state === 'rebuilding')) return 'recovering';
  return 'degraded';
}

// Good states as storcli words them; anything else needs a person to look.
const GOOD_CONTROLLER = new Set(['Optimal', 'OK']);
const GOOD_BATTERY = new Set(['Optimal', 'OK', 'Learning']);

function controllerHealth(data: Row): ControllerHealth | undefined {
  const status = (data.Status as Row | undefined)?.['Controller Status'];
  const cv = (data.Cachevault_Info as Row[] | undefined)?.[0];
  const bbu = (data.BBU_Info as Row[] | undefined)?.[0];
  const battery = cv
    ? { kind: 'CacheVault' as const, state: String(cv.State ?? 'unknown') }
    : bbu
      ? { kind: 'BBU' as const, state: String(bbu.State ?? 'unknown') }
      : null;
  if (status === undefined && battery === null) return undefined;
  const s = status === undefined ? null : String(status);
  const statusBad = s !== null && !GOOD_CONTROLLER.has(s);
  const batteryBad = battery !== null && !GOOD_BATTERY.has(battery.state);
  return { status: s, battery, needsAttention: statusBad || batteryBad, statusBad, batteryBad };
}

function member(slot: string, state: string, row: number | null, model: unknown, slotBays: StorcliRaidOptions['slotBays']): RaidMember {
  return {
    bay: slot !== '-' ? (slotBays?.[slot] ?? null) : null,
    device: slot !== '-' ? slot : '',
    state: memberState(state),
    slot: row,
    model: typeof model === 'string' ? model.trim() : null,
  };
}

function controllerDoc(json: string): Row {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (cause) {
    throw new DriverError('PARSE_FAILED', 'storcli did not answer with JSON.', { head: json.slice(0, 200) }, { cause });
  }
  const ctrl = (doc as { Controllers?: unknown } | null)?.Controllers;
  if (!Array.isArray(ctrl) || ctrl.length === 0 || typeof ctrl[0] !== 'object' || ctrl[0] === null) {
    throw new DriverError('PARSE_FAILED', 'The JSON is not storcli\'s: it has no Controllers list.', { head: json.slice(0, 200) });
  }
  const first = ctrl[0] as { 'Command Status'?: Row; 'Response Data'?: Row };
  const cmdStatus = first['Command Status']?.Status;
  if (cmdStatus !== 'Success') {
    throw new DriverError('COMMAND_FAILED', 'The RAID controller did not answer the status query.', {
      status: cmdStatus,
      description: first['Command Status']?.Description,
    });
  }
  return first['Response Data'] ?? {};
}

/**
 * Parses storcli's JSON into the family's status for one virtual drive. Two forms:
 * the controller's (`/cN show all J`: VD LIST, TOPOLOGY, PD LIST) and the virtual
 * drive's (`/cN/vM show all J`: the drive under "/cN/vM", its disks under "PDs for VD M").
 */
export function parseStorcliShowAll(json: string, opts: Pick<StorcliRaidOptions, 'virtualDrive' | 'slotBays'> = {}): RaidStatus {
  const data = controllerDoc(json);
  // `/cN/vall show all J` lists every drive under its own "/cN/vM" key.
  const vdKeys = Object.keys(data).filter((k) => /^\/c\d+\/v\d+$/.test(k));
  const perVd = vdKeys.length > 0;
  const vds = perVd ? vdKeys.flatMap((k) => (data[k] as Row[] | undefined) ?? []) : ((data['VD LIST'] as Row[] | undefined) ?? []);
  const vd = opts.virtualDrive ? vds.find((v) => v['DG/VD'] === opts.virtualDrive) : vds[0];
  if (!vd) throw new DriverError('ARRAY_NOT_FOUND', 'The RAID controller has no such virtual drive.', { wanted: opts.virtualDrive });
  const [dg, vdNo] = String(vd['DG/VD']).split('/');

  let members: RaidMember[];
  if (perVd) {
    const pds = (data[`PDs for VD ${vdNo}`] as Row[] | undefined) ?? [];
    members = pds.map((pd) => member(String(pd['EID:Slt'] ?? '-'), String(pd.State), null, pd.Model, opts.slotBays));
  } else {
    const pdList = (data['PD LIST'] as Row[] | undefined) ?? [];
    const modelOf = (slot: string) => pdList.find((pd) => String(pd['EID:Slt']) === slot)?.Model;
    const drives = ((data.TOPOLOGY as Row[] | undefined) ?? []).filter((t) => t.Type === 'DRIVE' && String(t.DG) === dg);
    members = drives.map((t) => {
      const slot = String(t['EID:Slot'] ?? '-');
      return member(slot, String(t.State), typeof t.Row === 'number' ? t.Row : null, modelOf(slot), opts.slotBays);
    });
    // Hot spares dedicated to this drive group are listed in the PD LIST only.
    for (const pd of pdList) {
      const slot = String(pd['EID:Slt']);
      if (String(pd.DG) === dg && !members.some((m) => m.device === slot)) members.push(member(slot, String(pd.State), null, pd.Model, opts.slotBays));
    }
  }
  const inArray = members.filter((m) => m.state !== 'spare');
  const controller = controllerHealth(data);
  return {
    array: String(vd['DG/VD']),
    level: String(vd.TYPE ?? 'unknown').toLowerCase(),
    state: vdState(String(vd.State), members),
    devicesTotal: inArray.length,
    devicesInSync: members.filter((m) => m.state === 'active').length,
    // `show all` carries no rebuild progress; `/cN/eX/sY show rebuild` would.
    percent: null,
    speedKiBps: null,
    finishSec: null,
    checking: false,
    members,
    ...(controller ? { controller } : {}),
  };
}

/** Broadcom/LSI MegaRAID hardware RAID through storcli's JSON output. */
export class StorcliRaid implements RaidBackend {
  readonly kind = 'storcli';
  private readonly emitter = new RaidEmitter();
  private last: RaidStatus | undefined;

  constructor(private readonly opts: StorcliRaidOptions) {}

  async status(): Promise<RaidStatus> {
    const cmd = this.opts.command ?? 'storcli';
    const args = [`/c${this.opts.controller ?? 0}`, 'show', 'all', 'J'];
    const r = await this.opts.runner.run(cmd, args, { timeoutMs: this.opts.timeoutMs ?? 30_000 });
    // storcli exits non-zero on some warnings yet still prints JSON; the JSON's own status decides.
    return parseStorcliShowAll(r.stdout, this.opts);
  }

  async poll(): Promise<RaidStatus> {
    const next = await this.status();
    if (this.last) for (const e of diffRaidStatus(this.last, next, this.opts.progressStep)) this.emitter.emit(e);
    this.last = next;
    return next;
  }

  subscribe(listener: RaidListener): () => void {
    return this.emitter.subscribe(listener);
  }

  async close(): Promise<void> {
    this.emitter.clear();
  }
}
