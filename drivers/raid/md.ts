import type { FileRoot } from '../file-root.js';
import type { CommandRunner } from '../runner.js';
import { DriverError, isDriverError } from '../errors.js';
import type { RaidBackend, RaidListener, RaidStatus } from './contract.js';
import { RaidEmitter, diffRaidStatus } from './events.js';
import { parseMdstat, type MdstatArray } from './mdstat.js';
import { parseMdadmDetailExport, type MdadmDetail } from './mdadm-detail.js';
import { mdStatus } from './md-status.js';
import { monitorEvents, parseMonitorLine } from './mdadm-monitor.js';
import type { BayDisks } from './bays.js';

export interface MdRaidOptions {
  root: FileRoot;
  /** Bay -> disk, e.g. { 0: 'sda', 1: 'sdb' }. */
  bays: BayDisks;
  /** The array to watch ("md0"); if absent, the only RAID 1 array (the appliance has one). */
  array?: string;
  /** Used for `mdadm --detail --export`, which tells exactly which member rebuilds. */
  runner?: CommandRunner;
  progressStep?: number;
  timeoutMs?: number;
}

/** Linux software RAID, read from /proc/mdstat under the injected root. */
export class MdRaid implements RaidBackend {
  readonly kind = 'md';
  private readonly emitter = new RaidEmitter();
  private last: RaidStatus | undefined;

  constructor(private readonly opts: MdRaidOptions) {}

  private pick(arrays: MdstatArray[]): MdstatArray {
    const wanted = this.opts.array;
    const found = wanted
      ? arrays.find((a) => a.name === wanted)
      : (arrays.find((a) => a.level === 'raid1') ?? (arrays.length === 1 ? arrays[0] : undefined));
    if (!found) {
      throw new DriverError(
        'ARRAY_NOT_FOUND',
        wanted ? `The RAID array ${wanted} is not running.` : 'No RAID 1 array is running.',
        { arrays: arrays.map((a) => a.name) },
      );
    }
    return found;
  }

  // mdstat alone is enough to judge health; mdadm only sharpens which disk
  // rebuilds, so its absence or failure is not an error.
  private async detail(name: string): Promise<MdadmDetail | undefined> {
    if (!this.opts.runner) return undefined;
    try {
      const r = await this.opts.runner.run('mdadm', ['--detail', '--export', `/dev/${name}`], {
        timeoutMs: this.opts.timeoutMs ?? 10_000,
      });
      return r.code === 0 ? parseMdadmDetailExport(r.stdout) : undefined;
    } catch (e) {
      if (isDriverError(e)) return undefined;
      throw e;
    }
  }

  async status(): Promise<RaidStatus> {
    const array = this.pick(parseMdstat(await this.opts.root.read('/proc/mdstat')));
    return mdStatus(array, this.opts.bays, await this.detail(array.name));
  }

  async poll(): Promise<RaidStatus> {
    const next = await this.status();
    if (this.last) for (const e of diffRaidStatus(this.last, next, this.opts.progressStep)) this.emitter.emit(e);
    this.last = next;
    return next;
  }

  /**
   * Feeds one line of `mdadm --monitor` output (or of a --program's arguments);
   * whoever runs the monitor process passes its lines here. Lines about other
   * arrays are ignored.
   */
  ingestMonitorLine(line: string): void {
    const parsed = parseMonitorLine(line);
    if (!parsed) return;
    if (this.opts.array && parsed.array.replace(/^\/dev\//, '') !== this.opts.array) return;
    for (const e of monitorEvents(parsed, this.opts.bays)) this.emitter.emit(e);
  }

  subscribe(listener: RaidListener): () => void {
    return this.emitter.subscribe(listener);
  }

  async close(): Promise<void> {
    this.emitter.clear();
  }
}
