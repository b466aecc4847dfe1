import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.resolve(here, '../../firmware-fixtures');

export function fixturePath(family: string, name: string): string {
  return path.join(FIXTURES, family, name);
}

export function readFixture(family: string, name: string): Promise<string> {
  return fs.readFile(fixturePath(family, name), 'utf8');
}

/** A fresh temp directory that stands in for `/` of the appliance. */
export function makeTempRoot(prefix = 'qkm-drivers-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function removeTempRoot(dir: string): Promise<void> {
  return fs.rm(dir, { recursive: true, force: true });
}

/** Writes `content` at `absPath` under `root`, creating folders on the way. */
export async function plant(root: string, absPath: string, content: string): Promise<void> {
  const real = path.join(root, absPath);
  await fs.mkdir(path.dirname(real), { recursive: true });
  await fs.writeFile(real, content);
}
