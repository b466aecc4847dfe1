import type { CommandRunner } from '../runner.js';
import { DriverError } from '../errors.js';
import type { ArrayState, MemberState, RaidBackend, RaidListener, RaidMember, RaidStatus } from './contract.js';
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

/** Parses `storcli /cN show all J` into the family's status for one virtual drive. */
export function parseStorcliShowAll(json: string, opts: Pick<StorcliRaidOptions, 'virtualDrive' | 'slotBays'> = {}): RaidStatus {
  let doc: { Controllers?: Array<{ 'Command Status'?: Row; 'Response Data'?: Row }> };
  try {
    doc = JSON.parse(json);
  } catch (cause) {
    throw new DriverError('PARSE_FAILED', 'storcli did not answer with JSON.', { head: json.slice(0, 200) }, { cause });
  }
  const ctrl = doc.Controllers?.[0];
  const cmdStatus = ctrl?.['Command Status']?.Status;
  if (!ctrl || cmdStatus !== 'Success') {
    throw new DriverError('COMMAND_FAILED', 'The RAID controller did not answer the status query.', {
      status: cmdStatus,
      description: ctrl?.['Command Status']?.Description,
    });
  }
  const data = ctrl['Response Data'] ?? {};
  const vds = (data['VD LIST'] as Row[] | undefined) ?? [];
  const vd = opts.virtualDrive ? vds.find((v) => v['DG/VD'] === opts.virtualDrive) : vds[0];
  if (!vd) throw new DriverError('ARRAY_NOT_FOUND', 'The RAID controller has no such virtual drive.', { wanted: opts.virtualDrive });
  const dg = String(vd['DG/VD']).split('/')[0];

  const drives = ((data.TOPOLOGY as Row[] | undefined) ?? []).filter(
    (t) => t.Type === 'DRIVE' && String(t.DG) === dg,
  );
  const members: RaidMember[] = drives.map((t) => {
    const slot = String(t['EID:Slot'] ?? '-');
    const state = memberState(String(t.State));
    return {
      bay: slot !== '-' ? (opts.slotBays?.[slot] ?? null) : null,
      device: slot !== '-' ? slot : '',
      state,
      slot: typeof t.Row === 'number' ? t.Row : null,
    };
  });
  // Hot spares dedicated to this drive group are listed in the PD LIST only.
  for (const pd of (data['PD LIST'] as Row[] | undefined) ?? []) {
    const slot = String(pd['EID:Slt']);
    if (String(pd.DG) === dg && !members.some((m) => m.device === slot)) {
      members.push({ bay: opts.slotBays?.[slot] ?? null, device: slot, state: memberState(String(pd.State)), slot: null });
    }
  }
  const inArray = members.filter((m) => m.state !== 'spare');
  const state = vdState(String(vd.State), members);
  return {
    array: String(vd['DG/VD']),
    level: String(vd.TYPE ?? 'unknown').toLowerCase(),
    state,
    devicesTotal: inArray.length,
    devicesInSync: members.filter((m) => m.state === 'active').length,
    // `show all` carries no rebuild progress; `/cN/eX/sY show rebuild` would.
    percent: null,
    speedKiBps: null,
    finishSec: null,
    checking: false,
    members,
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
