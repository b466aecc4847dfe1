import { constants, promises as fs } from 'node:fs';
import { DriverError } from '../errors.js';

export interface ReadDiscOptions {
  /** Bytes per chunk. */
  chunk: number;
  signal?: AbortSignal;
  /** False once the disc is gone (tray opened, disc taken out, drive closed): the read then ends early. */
  stillThere(): boolean;
}

/**
 * The bytes of a disc (an image file or the drive's block device), front to back, by
 * positional reads. Opened non-blocking, as blkid and fdisk open a CD: a plain open of
 * /dev/sr0 closes an open tray on most kernels, and reading must not move the tray.
 */
export async function* readDisc(file: string, o: ReadDiscOptions): AsyncGenerator<Buffer, void, undefined> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new DriverError('FILE_UNREADABLE', 'The disc in the CD drive cannot be opened; take it out and put it in again.', { path: file }, { cause });
  }
  try {
    for (let done = 0; ; ) {
      if (o.signal?.aborted || !o.stillThere()) return;
      const buf = Buffer.allocUnsafe(o.chunk);
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, o.chunk, done));
      } catch (cause) {
        throw new DriverError('FILE_UNREADABLE', `The disc in the CD drive could not be read at byte ${done}; clean it or burn it again.`, { path: file }, { cause });
      }
      if (bytesRead === 0) return;
      done += bytesRead;
      yield bytesRead === o.chunk ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
