import { constants, promises as fs } from 'node:fs';
import { IsoError } from '../../errors.js';

/** ISO 9660 on a CD: every logical block is 2048 bytes (ECMA-119 allows others; no CD uses them). */
export const BLOCK = 2048;

/** Reads up to this size are served from a window of WINDOW bytes. */
const SMALL_READ = 64 * 1024;
const WINDOW = 1024 * 1024;

/**
 * The bytes of an image file or of a CD's block device, read by position only (never
 * mounted, never read past what the volume says it holds). A block device has no file
 * size, so its end is known only from the volume descriptor; `limit` is set then.
 */
export class IsoSource {
  /** Bytes that may be read: the file's size, then (once the volume is known) at most the volume's. */
  private limit: number;
  /** The last window read for small reads: a folder's small files lie side by side, so one read serves many. */
  private window: { position: number; bytes: Buffer } | null = null;

  private constructor(
    readonly path: string,
    private readonly fh: fs.FileHandle,
    /** Null for a block device, whose size the file system does not say. */
    readonly fileSize: number | null,
    /** How sentences name it when its path would mean nothing to the reader (a copy of a drive's disc). */
    readonly name?: string,
  ) {
    this.limit = fileSize ?? Number.MAX_SAFE_INTEGER;
  }

  static async open(path: string, name?: string): Promise<IsoSource> {
    let fh: fs.FileHandle;
    try {
      // Non-blocking, as blkid opens a CD: a plain open of /dev/sr0 closes an open tray.
      fh = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (cause) {
      throw new IsoError('ISO_UNREADABLE', `Cannot open ${path} to read it as a CD image; check that it exists and can be read.`, { cause });
    }
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new IsoError('ISO_UNREADABLE', `${path} is a folder, not a CD image or CD drive; give the path of an .iso file or of the drive.`);
      return new IsoSource(path, fh, st.isFile() ? st.size : null, name);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** The volume's own size: reads stop there even on a device that holds more. */
  bound(volumeBytes: number): void {
    this.limit = Math.min(this.limit, volumeBytes);
  }

  get end(): number {
    return this.limit;
  }

  /**
   * Reads up to `length` bytes at `position` into `buf`; fewer only at the end of the
   * bytes there are (a truncated image, a disc shorter than its volume). Never past `end`.
   */
  async readInto(buf: Buffer, position: number, length = buf.length): Promise<number> {
    const want = Math.max(0, Math.min(length, this.limit - position));
    if (want > 0 && want <= SMALL_READ) return this.readSmall(buf, position, want);
    return this.readDirect(buf, position, want);
  }

  /** A small read from a window of WINDOW bytes around it: a thread-pool round trip per small file costs more than its hash. */
  private async readSmall(buf: Buffer, position: number, want: number): Promise<number> {
    let w = this.window;
    if (!w || position < w.position || position + want > w.position + w.bytes.length) {
      const start = position - (position % WINDOW);
      const bytes = Buffer.allocUnsafe(Math.min(WINDOW, this.limit - start));
      const got = await this.readDirect(bytes, start, bytes.length);
      w = this.window = { position: start, bytes: bytes.subarray(0, got) };
      // A read that straddles the window's end is not worth a second window.
      if (position + want > start + WINDOW) return this.readDirect(buf, position, want);
    }
    return w.bytes.copy(buf, 0, position - w.position, Math.min(w.bytes.length, position - w.position + want));
  }

  private async readDirect(buf: Buffer, position: number, want: number): Promise<number> {
    let got = 0;
    while (got < want) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.fh.read(buf, got, want - got, position + got));
      } catch (cause) {
        throw new IsoError('ISO_UNREADABLE', `Reading ${this.path} failed at byte ${position + got}; clean the disc or copy the image again.`, { cause });
      }
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  /** Exactly `length` bytes at `position`, or null when the source ends first. */
  async readExact(position: number, length: number): Promise<Buffer | null> {
    const buf = Buffer.alloc(length);
    return (await this.readInto(buf, position)) === length ? buf : null;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
