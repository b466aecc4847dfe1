import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

const BLOCK = 512;

/**
 * A .tgz built in memory, so nothing is staged on disk (a library bundle's private key is
 * written nowhere but into the bundle). Entries are node-tar's own headers, each followed
 * by its data padded to whole blocks, and two empty blocks end the archive: node-tar's Pack,
 * fed entries from memory, stops for good after a few of them. Owner and group are 0 and
 * every entry carries `mtime` (the injected clock), so nothing of the host leaks in.
 */
export function gzipTarInMemory(files: ReadonlyArray<{ name: string; data: string | Uint8Array; mode: number }>, mtime: Date): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const data = Buffer.from(f.data);
    const header = new Header({ path: f.name, mode: f.mode, size: data.length, mtime, type: 'File', uid: 0, gid: 0, uname: '', gname: '' });
    // Names are ours and short; one that needs a pax header would be a bug here.
    if (header.encode()) throw new Error(`tar entry name too long: ${f.name}`);
    parts.push(header.block!, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(parts));
}
