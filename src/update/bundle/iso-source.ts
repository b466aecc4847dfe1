import { openIso } from '../iso9660/index.js';
import type { BundleSource } from './source.js';

/**
 * A bundle on a CD or in an ISO image file, read through the ISO 9660 reader; close it when
 * done. `copyOf` names the disc a file was copied from, so the reader's sentences name it.
 */
export async function openIsoBundle(file: string, description = `the CD image ${file}`, copyOf?: string): Promise<BundleSource & { close(): Promise<void> }> {
  const image = await openIso(file, copyOf);
  const at = (p: string) => `/${p}`;
  return {
    description,
    list: async (dir) => (await image.list(at(dir))).map((e) => ({ name: e.name, kind: e.type, size: e.size })),
    createReadStream: (p) => image.createReadStream(at(p)),
    close: () => image.close(),
  };
}
