import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Files of a tree to put on a CD: path (with "/") → content; a value of { link } is a symbolic link. */
export type TreeSpec = Record<string, string | Buffer | { link: string }>;

export async function writeTree(dir: string, spec: TreeSpec): Promise<void> {
  for (const [rel, content] of Object.entries(spec)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (typeof content === 'object' && 'link' in content) await fs.symlink(content.link, file);
    else await fs.writeFile(file, content);
  }
}

/** Makes an image of `tree` with xorriso's mkisofs emulation or genisoimage, given their options. */
export function makeIso(tool: 'xorriso' | 'genisoimage', tree: string, out: string, args: readonly string[]): string {
  const argv = tool === 'xorriso' ? ['-as', 'mkisofs', ...args, '-o', out, tree] : ['-quiet', ...args, '-o', out, tree];
  execFileSync(tool, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * The byte offset of the directory record named `isoId` (as ISO 9660 writes it, e.g.
 * "BIG.BIN;1" or "C") in the directory block at `blockPosition`, to damage it on purpose.
 */
export function recordOffset(image: Buffer, blockPosition: number, isoId: string): number {
  let at = blockPosition;
  while (at < blockPosition + 2048 && image[at]! > 0) {
    const idLength = image[at + 32]!;
    if (image.toString('latin1', at + 33, at + 33 + idLength) === isoId) return at;
    at += image[at]!;
  }
  throw new Error(`no record ${isoId} in the block at ${blockPosition}`);
}

/** Writes a 32-bit value both-endian (ECMA-119 7.3.3), as extent locations and sizes are kept. */
export function writeBoth32(image: Buffer, at: number, value: number): void {
  image.writeUInt32LE(value, at);
  image.writeUInt32BE(value, at + 4);
}
