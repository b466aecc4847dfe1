import type { CommandRunner } from '../runner.js';
import { DriverError } from '../errors.js';
import { emptyBay, type DiskBackend, type DiskInfo, type SmartFigures } from './contract.js';

export interface SmartctlDisksOptions {
  runner: CommandRunner;
  /** Bay -> device, e.g. { 0: '/dev/sda', 1: '/dev/sdb' }. */
  bays: Readonly<Record<number, string>>;
  /** Extra arguments such as ['-d', 'megaraid,0'] per bay, for disks behind a controller. */
  extraArgs?: Readonly<Record<number, readonly string[]>>;
  timeoutMs?: number;
}

// smartctl's exit status is a bit mask (smartctl(8), RETURN VALUES).
const EXIT_CMDLINE = 1 << 0;
const EXIT_OPEN_FAILED = 1 << 1;
const EXIT_DISK_FAILING = 1 << 3;

interface SmartJson {
  smartctl?: { exit_status?: number; messages?: Array<{ string?: string; severity?: string }> };
  device?: { protocol?: string };
  model_name?: string;
  scsi_model_name?: string;
  serial_number?: string;
  smart_status?: { passed?: boolean };
  temperature?: { current?: number };
  power_on_time?: { hours?: number };
  ata_smart_attributes?: { table?: Array<{ id?: number; name?: string; when_failed?: string; raw?: { value?: number } }> };
  scsi_grown_defect_list?: number;
  nvme_smart_health_information_log?: {
    critical_warning?: number;
    media_errors?: number;
    percentage_used?: number;
    available_spare?: number;
    available_spare_threshold?: number;
  };
}

function smartFigures(doc: SmartJson): SmartFigures {
  const attrs = doc.ata_smart_attributes?.table ?? [];
  const raw = (id: number) => attrs.find((a) => a.id === id)?.raw?.value ?? null;
  const nvme = doc.nvme_smart_health_information_log;
  return {
    pendingSectors: raw(197),
    offlineUncorrectable: raw(198),
    failedAttributes: attrs
      .filter((a) => typeof a.when_failed === 'string' && a.when_failed !== '' && typeof a.id === 'number')
      .map((a) => ({ id: a.id!, name: a.name ?? `attribute ${a.id}`, whenFailed: a.when_failed! })),
    nvmeCriticalWarning: nvme?.critical_warning ?? null,
    nvmeMediaErrors: nvme?.media_errors ?? null,
    nvmePercentageUsed: nvme?.percentage_used ?? null,
    nvmeAvailableSpare: nvme?.available_spare ?? null,
    nvmeAvailableSpareThreshold: nvme?.available_spare_threshold ?? null,
  };
}

function protocol(p: string | undefined): DiskInfo['protocol'] {
  return p === 'ATA' || p === 'SCSI' || p === 'NVMe' ? p : null;
}

/**
 * Parses `smartctl --json -a` for one bay. smartctl prints JSON whatever its exit
 * status, so the status bits and the document are read together: "could not open
 * the device" means the bay is empty; "disk failing" overrides a missing verdict.
 */
export function parseSmartctlJson(bay: number, text: string, exitCode: number): DiskInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new DriverError('PARSE_FAILED', `smartctl gave no readable answer for bay ${bay} (its JSON is cut off or damaged).`, { bay, head: text.slice(0, 200) }, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('smartctl' in parsed || 'device' in parsed)) {
    throw new DriverError('PARSE_FAILED', `smartctl's answer for bay ${bay} holds no reading (no smartctl or device section).`, { bay, head: text.slice(0, 200) });
  }
  const doc = parsed as SmartJson;
  const status = doc.smartctl?.exit_status ?? exitCode;
  if (status & EXIT_CMDLINE) {
    throw new DriverError('COMMAND_FAILED', 'smartctl did not accept its arguments.', { bay, messages: doc.smartctl?.messages });
  }
  if (status & EXIT_OPEN_FAILED && !doc.device) return emptyBay(bay);

  const attrs = doc.ata_smart_attributes?.table ?? [];
  const realloc = attrs.find((a) => a.id === 5)?.raw?.value;
  const passed = doc.smart_status?.passed;
  return {
    bay,
    present: true,
    model: doc.model_name ?? doc.scsi_model_name ?? null,
    serial: doc.serial_number ?? null,
    protocol: protocol(doc.device?.protocol),
    smartPassed: status & EXIT_DISK_FAILING ? false : passed ?? null,
    // A volume behind a RAID controller answers 0 °C: that is no reading, not a cold disk.
    temperatureC: doc.temperature?.current || null,
    reallocatedSectors: realloc ?? null,
    grownDefects: doc.scsi_grown_defect_list ?? null,
    powerOnHours: doc.power_on_time?.hours ?? null,
    smart: smartFigures(doc),
  };
}

/** Disk presence and SMART health through `smartctl --json -a <device>`. */
export class SmartctlDisks implements DiskBackend {
  readonly kind = 'smartctl';

  constructor(private readonly opts: SmartctlDisksOptions) {}

  bays(): readonly number[] {
    return Object.keys(this.opts.bays).map(Number).sort((a, b) => a - b);
  }

  async read(bay: number): Promise<DiskInfo> {
    const device = this.opts.bays[bay];
    if (!device) throw new DriverError('UNKNOWN_BAY', `Bay ${bay} has no configured disk device.`, { bay });
    const args = ['--json', '-a', ...(this.opts.extraArgs?.[bay] ?? []), device];
    const r = await this.opts.runner.run('smartctl', args, { timeoutMs: this.opts.timeoutMs ?? 30_000 });
    return parseSmartctlJson(bay, r.stdout, r.code);
  }

  async readAll(): Promise<DiskInfo[]> {
    const out: DiskInfo[] = [];
    // One at a time: several SMART queries at once can stall a SATA link.
    for (const bay of this.bays()) out.push(await this.read(bay));
    return out;
  }
}
