import type { CommandRunner } from '../runner.js';
import { DriverError } from '../errors.js';
import type { RaidReAdder, ReAddResult } from './contract.js';
import { partitionOf } from './bays.js';

export interface MdReAddOptions {
  runner: CommandRunner;
  /** The md device, e.g. "/dev/md0". */
  array: string;
  /** Bay -> whole-disk device, e.g. { 0: '/dev/sda', 1: '/dev/sdb' }. */
  bays: Readonly<Record<number, string>>;
  /** Which partition of each disk is the array member (1 for /dev/sda1). */
  partition: number;
  timeoutMs?: number;
}

export interface BlankCheck {
  blank: boolean;
  /** What was found: partition-table and file-system signature types. */
  found: string[];
}

/** `wipefs --no-act --json` lists every signature wipefs would erase. */
export function signaturesFromWipefs(json: string): string[] {
  if (json.trim() === '') return [];
  const doc = JSON.parse(json) as { signatures?: Array<{ type?: string; offset?: string }> };
  return (doc.signatures ?? []).map((s) => `${s.type ?? 'unknown'} at ${s.offset ?? '?'}`);
}

/** `blkid -p -o export` prints PTTYPE= / TYPE= for what it recognises; nothing for a blank disk. */
export function signaturesFromBlkid(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(PTTYPE|TYPE)=(.+)$/.exec(line.trim());
    if (m) out.push(m[1] === 'PTTYPE' ? `${m[2]} partition table` : `${m[2]} file system`);
  }
  return out;
}

/**
 * The good disk's partition table, made fit for another disk: the disk's own
 * identity (label-id, device, partition UUIDs, node names) is dropped so the new
 * disk gets fresh identifiers instead of clones.
 */
export function tableForNewDisk(dump: string): string {
  return dump
    .split('\n')
    .filter((l) => !/^(label-id|device):/.test(l))
    .map((l) => l.replace(/^\S+\s*:\s*(start=)/, '$1').replace(/,\s*uuid=[0-9A-Fa-f-]+/, ''))
    .join('\n');
}

/**
 * Puts a replaced disk back into the md mirror: partition table copied from the
 * good disk (sfdisk -d | sfdisk), then `mdadm --add`. A disk is written to only
 * when wipefs and blkid both find nothing on it, or when a person allowed it.
 */
export class MdReAdder implements RaidReAdder {
  constructor(private readonly opts: MdReAddOptions) {}

  private async run(cmd: string, args: string[], what: string, input?: string): Promise<string> {
    const r = await this.opts.runner.run(cmd, args, { timeoutMs: this.opts.timeoutMs ?? 60_000, input });
    if (r.code !== 0) {
      throw new DriverError('COMMAND_FAILED', `Could not ${what}.`, {
        command: [cmd, ...args].join(' '),
        code: r.code,
        stderr: r.stderr,
      });
    }
    return r.stdout;
  }

  async checkBlank(disk: string): Promise<BlankCheck> {
    const wipefs = await this.opts.runner.run('wipefs', ['--no-act', '--json', disk], { timeoutMs: this.opts.timeoutMs ?? 30_000 });
    if (wipefs.code !== 0) {
      throw new DriverError('COMMAND_FAILED', `Could not look for signatures on ${disk}.`, { stderr: wipefs.stderr });
    }
    const blkid = await this.opts.runner.run('blkid', ['-p', '-o', 'export', disk], { timeoutMs: this.opts.timeoutMs ?? 30_000 });
    // blkid exits 2 when it finds nothing; any other failure is not a "blank".
    if (blkid.code !== 0 && blkid.code !== 2) {
      throw new DriverError('COMMAND_FAILED', `Could not probe ${disk} for a partition table.`, { stderr: blkid.stderr });
    }
    const found = [...signaturesFromWipefs(wipefs.stdout), ...signaturesFromBlkid(blkid.stdout)];
    return { blank: found.length === 0, found };
  }

  async addReplacement(bay: number, opts: { allowNonBlank?: boolean } = {}): Promise<ReAddResult> {
    const disk = this.opts.bays[bay];
    const goodEntry = Object.entries(this.opts.bays).find(([b]) => Number(b) !== bay);
    if (!disk || !goodEntry) {
      throw new DriverError('UNKNOWN_BAY', `Bay ${bay} is not one of the mirror's configured bays.`, { bay });
    }
    const good = goodEntry[1];
    const steps: string[] = [];

    const check = await this.checkBlank(disk);
    if (!check.blank && !opts.allowNonBlank) {
      throw new DriverError(
        'DISK_NOT_BLANK',
        `The disk in bay ${bay} (${disk}) is not blank (${check.found.join(', ')}); nothing was written. ` +
          'Insert a blank disk, or confirm that this disk may be overwritten.',
        { bay, disk, found: check.found },
      );
    }
    steps.push(check.blank ? `${disk} is blank` : `${disk} is not blank (${check.found.join(', ')}); overwriting as allowed`);

    const dump = await this.run('sfdisk', ['-d', good], `read the partition table of ${good}`);
    const args = check.blank ? [disk] : ['--wipe', 'always', disk];
    await this.run('sfdisk', args, `write the partition table to ${disk}`, tableForNewDisk(dump));
    steps.push(`copied the partition table from ${good} to ${disk}`);

    const member = partitionOf(disk, this.opts.partition);
    await this.run('mdadm', [this.opts.array, '--add', member], `add ${member} to ${this.opts.array}`);
    steps.push(`added ${member} to ${this.opts.array}`);
    return { bay, steps };
  }
}
