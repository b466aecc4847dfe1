import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Tmpfs {
  dir: string;
  remount(options: string): void;
  unmount(): void;
}

/**
 * A real, small file system for a full or read-only disk: a tmpfs of `size` (e.g. "4m").
 * Mounting needs root (or CAP_SYS_ADMIN); without it the reason is returned, for a skip.
 */
export function mountTmpfs(size: string): Tmpfs | { skip: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    return { skip: `a tmpfs cannot be mounted here (${why}); run the tests as root to test a full or read-only disk` };
  }
  return {
    dir,
    remount: (options) => execFileSync('mount', ['-o', `remount,${options}`, dir], { stdio: 'pipe' }),
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
