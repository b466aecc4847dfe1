import { DriveActivity } from './activity.js';
import type { CdReadOptions, VolumeLabelReader } from './contract.js';
import { readDisc } from './read-disc.js';

/**
 * What the real backends (the Linux drive, the image file) share: the disc is a path read
 * at full speed, busy while read or lent. Each says where its disc is and whether it is
 * still there; the simulator paces its reads and does its own.
 */
export abstract class FullSpeedDrive {
  protected readonly activity = new DriveActivity();
  /** The label of the disc last seen, by a key that changes with the disc, so a poll does not reread it. */
  private known: { key: string; label: string | null } | null = null;

  constructor(
    private readonly chunk: number,
    private readonly readLabel: VolumeLabelReader,
  ) {}

  /** The disc's label, read once per `key`; null for a disc whose label cannot be read (the update refuses it itself). */
  protected async label(key: string, file: string): Promise<string | null> {
    if (this.known?.key !== key) this.known = { key, label: await this.readLabel(file).catch(() => null) };
    return this.known.label;
  }

  /** Forgets the label, so the next disc is read even if it looks alike. */
  protected forgetLabel(): void {
    this.known = null;
  }

  /** The path of the disc that can be read now; BAY_EMPTY when there is none. */
  protected abstract mustRead(): Promise<string>;

  /** False once the disc is gone (the tray opened): a read then ends early. */
  protected abstract stillThere(): boolean;

  async *read(opts: CdReadOptions = {}): AsyncIterable<Buffer> {
    const file = await this.mustRead();
    this.activity.enter();
    try {
      yield* readDisc(file, { chunk: this.chunk, signal: opts.signal, stillThere: () => this.stillThere() });
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
}
