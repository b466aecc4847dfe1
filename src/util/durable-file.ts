import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** fsync a directory so a rename or create inside it survives power loss. */
export function fsyncDir(dir: string): void {
  fsyncPath(dir);
}

/** fsync a file that was written by someone else (a library, a child process). */
export function fsyncFile(file: string): void {
  fsyncPath(file);
}

function fsyncPath(p: string): void {
  const fd = openSync(p, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write a file so that after a crash it holds either the old content or the new one,
 * never a mix: a fresh temporary sibling, fsync, rename over, fsync the directory (the
 * rename lives in the directory's metadata and is lost without that second fsync).
 */
export function writeFileDurable(file: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    // open()'s mode is filtered by the umask; a key file must be exactly what was asked.
    fchmodSync(fd, mode);
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/**
 * Remove what a writeFileDurable of `file` killed before its rename left beside it (its
 * temporary siblings); returns how many. For files that must not linger, such as a bundle
 * holding a private key.
 */
export function removeDurableTemps(file: string): number {
  const dir = path.dirname(file);
  const stale = new RegExp(`^\\.${path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[0-9a-f]{12}\\.tmp$`);
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!stale.test(name)) continue;
    rmSync(path.join(dir, name), { force: true });
    removed++;
  }
  return removed;
}
