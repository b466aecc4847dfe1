import path from 'node:path';
import { DriverError } from '../errors.js';
import type { FileRoot } from '../file-root.js';
import type { CommandRunner } from '../runner.js';
import { type CdMedia, type CdromBackend, type CdStatus, NO_DRIVE, type VolumeLabelReader } from './contract.js';
import { type CdromDriveInfo, parseCdromInfo, parseUdevProperties } from './linux-info.js';
import { FullSpeedDrive } from './full-speed-drive.js';

export interface LinuxCdromOptions {
  root: FileRoot;
  runner: CommandRunner;
  /** The drive's block device, e.g. /dev/sr0. */
  device: string;
  readLabel: VolumeLabelReader;
  timeoutMs: number;
  /** Whether qkm may open and close the tray (`eject`); off, the tray is the person's. */
  moveTray: boolean;
}

/** A drive reads a few MB/s; a quarter megabyte keeps an abort or an eject quick. */
const CHUNK = 256 * 1024;

/**
 * The appliance's optical drive on Linux. The drive and what it can do come from the cdrom
 * driver's table (/proc/sys/dev/cdrom/info), the disc from udev (ID_CDROM_MEDIA, kept up to
 * date by udev's cdrom_id at every media change), the disc's size from sysfs, and its bytes
 * from the block device by positional reads (never mounted). The tray moves only through
 * `eject`, and only when the configuration allows it. Linux does not say whether a tray is
 * open, only whether a disc can be read; trayOpen is known only after qkm opened it.
 */
export class LinuxCdrom extends FullSpeedDrive implements CdromBackend {
  readonly kind = 'linux';
  private readonly name: string;
  /** Set when qkm opened the tray; cleared when it closes it, or once udev has seen the drive empty and then a disc again. */
  private opened: { sawEmpty: boolean } | null = null;
  private last: string | undefined;

  constructor(private readonly o: LinuxCdromOptions) {
    super(CHUNK, o.readLabel);
    this.name = path.posix.basename(o.device);
  }

  async status(): Promise<CdStatus> {
    const drive = await this.drive();
    let st: CdStatus;
    if (!drive) st = { ...NO_DRIVE, busy: this.activity.busy };
    else {
      const props = await this.udev();
      const inDrive = props.ID_CDROM_MEDIA === '1';
      if (this.opened && !inDrive) this.opened.sawEmpty = true;
      else if (this.opened?.sawEmpty && inDrive) this.opened = null;
      const trayOpen = this.opened ? true : inDrive ? false : null;
      st = { present: true, trayOpen, media: inDrive && !this.opened ? await this.media(props) : null, busy: this.activity.busy };
    }
    // A disc put in or taken out by hand is seen here; tell listeners as the other backends do.
    const seen = JSON.stringify([st.present, st.trayOpen, st.media]);
    if (this.last !== undefined && seen !== this.last) this.activity.emit();
    this.last = seen;
    return st;
  }

  async openTray(): Promise<void> {
    const drive = await this.mayMove('open');
    if (this.opened) return;
    if (!drive.canOpenTray) throw new DriverError('UNSUPPORTED_STATE', 'This CD drive cannot open its tray when told to; press its eject button.', { device: this.o.device });
    await this.eject([this.o.device], 'open');
    this.opened = { sawEmpty: false };
    this.forgetLabel();
    this.activity.emit();
  }

  async closeTray(): Promise<void> {
    const drive = await this.mayMove('close');
    if (!drive.canCloseTray) throw new DriverError('UNSUPPORTED_STATE', 'This CD drive cannot pull its tray in by itself; push the tray in.', { device: this.o.device });
    await this.eject(['-t', this.o.device], 'close');
    this.opened = null;
    this.activity.emit();
  }

  protected stillThere(): boolean {
    return !this.opened;
  }

  private async drive(): Promise<CdromDriveInfo | null> {
    const info = await this.o.root.readIfExists('/proc/sys/dev/cdrom/info');
    return info === undefined ? null : parseCdromInfo(info, this.name);
  }

  private async udev(): Promise<Record<string, string>> {
    const r = await this.o.runner.run('udevadm', ['info', '--query=property', `--name=${this.o.device}`], { timeoutMs: this.o.timeoutMs });
    if (r.code !== 0) throw new DriverError('COMMAND_FAILED', `udevadm could not describe the CD drive ${this.o.device}.`, { stderr: r.stderr, code: r.code });
    return parseUdevProperties(r.stdout);
  }

  /** The disc's size (sysfs, in 512-byte sectors) and label, read once per disc. */
  private async media(props: Record<string, string>): Promise<CdMedia> {
    const sectors = Number.parseInt((await this.o.root.readIfExists(`/sys/block/${this.name}/size`)) ?? '', 10);
    const sizeBytes = Number.isSafeInteger(sectors) && sectors > 0 ? sectors * 512 : null;
    // DISKSEQ changes with every disc on kernels since 5.15; the UUID (an ISO's creation time) and size otherwise.
    const key = `${props.DISKSEQ ?? ''}|${props.ID_FS_UUID ?? ''}|${sizeBytes}`;
    return { label: await this.label(key, this.o.root.resolve(this.o.device)), sizeBytes };
  }

  protected async mustRead(): Promise<string> {
    const st = await this.status();
    if (!st.present) throw new DriverError('BAY_EMPTY', `This box has no CD drive at ${this.o.device}.`, { device: this.o.device });
    if (!st.media) throw new DriverError('BAY_EMPTY', this.opened ? 'The CD drive\'s tray is open; close it to read the disc.' : 'The CD drive has no disc; insert one first.');
    return this.o.root.resolve(this.o.device);
  }

  private async mayMove(way: 'open' | 'close'): Promise<CdromDriveInfo> {
    if (!this.o.moveTray) {
      const byHand = way === 'open' ? 'press the drive\'s eject button' : 'push the tray in';
      throw new DriverError('RUNNER_DISABLED', `Moving the CD tray is switched off in this configuration; ${byHand}.`, { device: this.o.device });
    }
    const drive = await this.drive();
    if (!drive) throw new DriverError('BAY_EMPTY', `This box has no CD drive at ${this.o.device}.`, { device: this.o.device });
    return drive;
  }

  private async eject(args: string[], way: 'open' | 'close'): Promise<void> {
    const r = await this.o.runner.run('eject', args, { timeoutMs: this.o.timeoutMs });
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n')[0] ?? '';
      throw new DriverError('COMMAND_FAILED', `eject could not ${way} the CD tray${why ? ` (${why})` : ''}.`, { stderr: r.stderr, code: r.code });
    }
  }
}
