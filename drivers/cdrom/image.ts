import { promises as fs } from 'node:fs';
import type { FileRoot } from '../file-root.js';
import { DriverError } from '../errors.js';
import { DriveActivity } from './activity.js';
import type { CdMedia, CdReadOptions, CdromBackend, CdStatus, VolumeLabelReader } from './contract.js';
import { readDisc } from './read-disc.js';

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
export class ImageCdrom implements CdromBackend {
  readonly kind = 'image';
  private trayOpen = false;
  private readonly activity = new DriveActivity();
  /** The label of the file last seen, by its size and time, so a poll does not reread it. */
  private known: { key: string; label: string | null } | null = null;

  constructor(private readonly o: ImageCdromOptions) {}

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

  async *read(opts: CdReadOptions = {}): AsyncIterable<Buffer> {
    const file = await this.mustRead();
    this.activity.enter();
    try {
      yield* readDisc(file, { chunk: CHUNK, signal: opts.signal, stillThere: () => !this.trayOpen });
    } finally {
      this.activity.leave();
    }
  }

  async withImage<T>(use: (path: string) => Promise<T>): Promise<T> {
    const file = await this.mustRead();
    return await this.activity.during(() => use(file));
  }

  onChange(listener: () => void): () => void {
    return this.activity.onChange(listener);
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
    const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
    if (this.known?.key !== key) this.known = { key, label: await this.o.readLabel(file).catch(() => null) };
    return { label: this.known.label, sizeBytes: st.size };
  }

  private async mustRead(): Promise<string> {
    if (this.trayOpen) throw new DriverError('BAY_EMPTY', 'The CD drive\'s tray is open; close it to read the disc.');
    if (!(await this.media())) throw new DriverError('BAY_EMPTY', `The CD drive has no disc: there is no image file at ${this.o.image}.`, { image: this.o.image });
    return this.o.root.resolve(this.o.image);
  }
}
