import { promises as fs } from 'node:fs';
import type { FileRoot } from '../file-root.js';
import { DriverError } from '../errors.js';
import type { CdMedia, CdromBackend, CdStatus, VolumeLabelReader } from './contract.js';
import { FullSpeedDrive } from './full-speed-drive.js';

export interface ImageCdromOptions {
  root: FileRoot;
  /** The image standing for the disc, as the box names it (e.g. /srv/qkm/update.iso); no file is no disc. */
  image: string;
  readLabel: VolumeLabelReader;
}

/** Bytes per read: full speed from a file, as from the drive's block device. */
const CHUNK = 1024 * 1024;

/**
 * A CD drive whose disc is one image file: for a box with no optical drive (a virtual
 * machine, an update copied over the network), read at the file's speed. The file being
 * there is the disc being in; the tray is only a state here (open hides the disc).
 */
export class ImageCdrom extends FullSpeedDrive implements CdromBackend {
  readonly kind = 'image';
  private trayOpen = false;

  constructor(private readonly o: ImageCdromOptions) {
    super(CHUNK, o.readLabel);
  }

  async status(): Promise<CdStatus> {
    return { present: true, trayOpen: this.trayOpen, media: this.trayOpen ? null : await this.media(), busy: this.activity.busy };
  }

  async openTray(): Promise<void> {
    if (this.trayOpen) return;
    this.trayOpen = true;
    this.activity.emit();
  }

  async closeTray(): Promise<void> {
    if (!this.trayOpen) return;
    this.trayOpen = false;
    this.activity.emit();
  }

  protected stillThere(): boolean {
    return !this.trayOpen;
  }

  private async media(): Promise<CdMedia | null> {
    const file = this.o.root.resolve(this.o.image);
    let st: Awaited<ReturnType<typeof fs.stat>>;
    try {
      st = await fs.stat(file);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    return { label: await this.label(`${st.size}:${st.mtimeMs}:${st.ino}`, file), sizeBytes: st.size };
  }

  protected async mustRead(): Promise<string> {
    if (this.trayOpen) throw new DriverError('BAY_EMPTY', 'The CD drive\'s tray is open; close it to read the disc.');
    if (!(await this.media())) throw new DriverError('BAY_EMPTY', `The CD drive has no disc: there is no image file at ${this.o.image}.`, { image: this.o.image });
    return this.o.root.resolve(this.o.image);
  }
}
