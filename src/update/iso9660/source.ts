import { promises as fs } from 'node:fs';
import { IsoError } from '../../errors.js';

/** ISO 9660 on a CD: every logical block is 2048 bytes (ECMA-119 allows others; no CD uses them). */
export const BLOCK = 2048;

/**
 * The bytes of an image file or of a CD's block device, read by position only (never
 * mounted, never read past what the volume says it holds). A block device has no file
 * size, so its end is known only from the volume descriptor; `limit` is set then.
 */
export class IsoSource {
  /** Bytes that may be read: the file's size, then (once the volume is known) at most the volume's. */
  private limit: number;

  private constructor(
    readonly path: string,
    private readonly fh: fs.FileHandle,
    /** Null for a block device, whose size the file system does not say. */
    readonly fileSize: number | null,
  ) {
    this.limit = fileSize ?? Number.MAX_SAFE_INTEGER;
  }

  static async open(path: string): Promise<IsoSource> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(path, 'r');
    } catch (cause) {
      throw new IsoError('ISO_UNREADABLE', `Cannot open ${path} to read it as a CD image; check that it exists and can be read.`, { cause });
    }
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new IsoError('ISO_UNREADABLE', `${path} is a folder, not a CD image or CD drive; give the path of an .iso file or of the drive.`);
      return new IsoSource(path, fh, st.isFile() ? st.size : null);
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
