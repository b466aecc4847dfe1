import { promises as fs } from 'node:fs';
import type { Clock, TimerHandle } from '../clock.js';
import { DriverError } from '../errors.js';
import { DriveActivity } from './activity.js';
import type { CdMedia, CdReadOptions, CdromBackend, CdStatus, VolumeLabelReader } from './contract.js';
import { readDisc } from './read-disc.js';

export interface SimCdromOptions {
  clock: Clock;
  /** Read speed in KiB/s; a 24x drive reads 24 × 150 = 3600 KiB/s. */
  readKiBps: number;
  readLabel: VolumeLabelReader;
}

/** Chunk of one simulated read; small enough that a slow read still streams steadily. */
const CHUNK = 64 * 1024;

/**
 * A CD drive whose discs are ISO files on this machine. A read through the contract
 * streams the file at the configured drive speed (paced on the injected clock, so a
 * test can make a 700 MB disc take milliseconds), and the drive is busy meanwhile.
 */
export class SimCdrom implements CdromBackend {
  readonly kind = 'sim';
  private tray: 'open' | 'closed' = 'closed';
  private disc: { file: string; media: CdMedia } | null = null;
  private readonly activity = new DriveActivity();
  private closed = false;
  private readonly waits = new Map<TimerHandle, () => void>();

  constructor(private readonly o: SimCdromOptions) {}

  async status(): Promise<CdStatus> {
    const readable = this.readable();
    return { present: true, trayOpen: this.tray === 'open', media: readable ? { ...readable.media } : null, busy: this.activity.busy };
  }

  async openTray(): Promise<void> {
    if (this.tray === 'open') return;
    this.tray = 'open';
    this.emit();
  }

  async closeTray(): Promise<void> {
    if (this.tray === 'closed') return;
    this.tray = 'closed';
    this.emit();
  }

  /** What a person does: opens the tray, lays the disc (an ISO file) in and closes it. */
  async insert(file: string): Promise<CdMedia> {
    if (this.disc) {
      throw new DriverError('BAY_OCCUPIED', `The CD drive already holds ${describe(this.disc.media)}; eject it first.`, { file: this.disc.file });
    }
    let sizeBytes: number;
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) throw new Error('not a file');
      sizeBytes = st.size;
    } catch (cause) {
      throw new DriverError('FILE_UNREADABLE', `There is no ISO image at ${file} to put in the CD drive; give the path of an existing .iso file.`, { file }, { cause });
    }
    const media: CdMedia = { label: await this.o.readLabel(file), sizeBytes };
    this.disc = { file, media };
    this.tray = 'closed';
    this.emit();
    return { ...media };
  }

  /** What a person does with the eject button: the tray opens and the disc is taken out. */
  async removeDisc(): Promise<CdMedia> {
    if (!this.disc) throw new DriverError('BAY_EMPTY', 'The CD drive has no disc to eject.');
    const { media } = this.disc;
    this.tray = 'open';
    this.disc = null;
    this.emit();
    return media;
  }

  async *read(opts: CdReadOptions = {}): AsyncIterable<Buffer> {
    const disc = this.mustRead();
    const bytesPerMs = (this.o.readKiBps * 1024) / 1000;
    // Taking the disc out (or powering off) ends the read, as it would on the real drive.
    const stillThere = () => !this.closed && this.disc === disc && this.tray === 'closed';
    this.activity.enter();
    try {
      const start = this.o.clock.now();
      let done = 0;
      for await (const chunk of readDisc(disc.file, { chunk: CHUNK, signal: opts.signal, stillThere })) {
        done += chunk.length;
        // Paced against the start, not per chunk, so timer granularity does not add up.
        const due = start + done / bytesPerMs - this.o.clock.now();
        if (due > 0 && !(await this.sleep(due, opts.signal))) return;
        if (!stillThere()) return;
        yield chunk;
      }
    } finally {
      this.activity.leave();
    }
  }

  async withImage<T>(use: (path: string) => Promise<T>): Promise<T> {
    const disc = this.mustRead();
    return await this.activity.during(() => use(disc.file));
  }

  onChange(listener: () => void): () => void {
    return this.activity.onChange(listener);
  }

  /** Ends every read at once and leaves no timer behind (power off, qkmd stopping). */
  close(): void {
    this.closed = true;
    for (const [handle, wake] of this.waits) {
      this.o.clock.clearTimeout(handle);
      wake();
    }
    this.waits.clear();
    this.activity.clear();
  }

  private readable() {
    return this.tray === 'closed' ? this.disc : null;
  }

  private mustRead() {
    const d = this.readable();
    if (!d) throw new DriverError('BAY_EMPTY', this.disc ? 'The CD drive\'s tray is open; close it to read the disc.' : 'The CD drive has no disc; insert one first.');
    return d;
  }

  /** Resolves true after `ms` on the clock, false if the read was cut short first. */
  private sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    // A close() that landed while the chunk was being read must end the read here: no timer
    // set now would ever be cleared, and on a test's manual clock it would never fire.
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.o.clock.clearTimeout(handle);
        this.waits.delete(handle);
        resolve(false);
      };
      const handle = this.o.clock.setTimeout(() => {
        this.waits.delete(handle);
        signal?.removeEventListener('abort', onAbort);
        resolve(!this.closed);
      }, ms);
      this.waits.set(handle, () => resolve(false));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private emit(): void {
    this.activity.emit();
  }
}

function describe(m: CdMedia): string {
  return m.label ? `the disc ${m.label}` : 'a disc';
}
