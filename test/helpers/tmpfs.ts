import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A small tmpfs is a real full disk in a test. Mounting one needs root (or a user
 * namespace); where that is not possible the tests that need it are skipped, with the
 * reason this returns.
 */
export function tmpfsUnavailable(): string | undefined {
  const probe = path.join(os.tmpdir(), `qkm-tmpfs-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  try {
    const problem = mountTmpfs(probe, 64 * 1024);
    if (problem) return problem;
    unmount(probe);
    return undefined;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `bytes` on `dir` (which must exist); the reason it could not, if not. */
export function mountTmpfs(dir: string, bytes: number): string | undefined {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error) return `cannot run mount (${r.error.message})`;
  return r.status === 0 ? undefined : `mount -t tmpfs failed: ${r.stderr.trim() || `exit status ${r.status}`}`;
}

export function unmount(dir: string): void {
  // Lazily if need be: a process killed a moment ago may still hold a file there.
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
}

/** Fills the file system that holds `dir` with one file, until a write fails for want of space. */
export function fillDisk(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'a');
  try {
    for (const size of [64 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x2e);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

export interface Tmpfs {
  dir: string;
  remount(options: string): void;
  unmount(): void;
}

/**
 * A small tmpfs of `bytes` in a fresh temporary folder, with a way to remount it (read-only,
 * say) and to take it away; or the reason it cannot be mounted here, for a skip.
 */
export function freshTmpfs(bytes: number): Tmpfs | { skip: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-tmpfs-'));
  const problem = mountTmpfs(dir, bytes);
  if (problem) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `${problem}; run the tests as root to test a full or read-only disk` };
  }
  return {
    dir,
    remount: (options) => execFileSync('mount', ['-o', `remount,${options}`, dir], { stdio: 'pipe' }),
    unmount: () => {
      unmount(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
