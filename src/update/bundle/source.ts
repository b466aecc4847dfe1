import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Where a bundle is read from: a CD, an ISO image, or (for building and testing) a plain
 * folder. Only what verification needs: list a folder, stream a file. Paths are relative
 * to the source's root, "/"-separated, "" for the root itself.
 */
export interface BundleEntry {
  name: string;
  kind: 'file' | 'directory' | 'other';
  size: number;
}

export interface BundleSource {
  /** How the user would name it in a sentence: "the ISO image /tmp/qkm.iso". */
  readonly description: string;
  list(dir: string): Promise<BundleEntry[]>;
  /** The file's bytes; the stream errors if they cannot all be read. */
  createReadStream(file: string): Readable;
}

/** A bundle unpacked in a folder (the build tool's staging folder, a test's copy). */
export function directorySource(root: string, description = `the folder ${root}`): BundleSource {
  const at = (p: string) => path.join(root, ...p.split('/').filter(Boolean));
  return {
    description,
    async list(dir) {
      const entries = await fs.readdir(at(dir), { withFileTypes: true });
      return Promise.all(entries.map(async (e) => {
        // lstat: a link is not a file of the bundle, whatever it points at.
        const st = await fs.lstat(path.join(at(dir), e.name));
        return { name: e.name, kind: st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other', size: st.size } satisfies BundleEntry;
      }));
    },
    createReadStream: (file) => createReadStream(at(file)),
  };
}
