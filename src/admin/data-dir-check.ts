import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/**
 * Refuses, in one sentence and before anything is written, a data directory that cannot
 * be one: a file, a path through a file, one this user cannot write, one on a read-only
 * file system, or (unless the command makes it) one that does not exist.
 */
export function checkDataDir(dir: string, create: boolean): void {
  try {
    if (!statSync(dir).isDirectory()) {
      throw new ConfigError('DATA_DIR_NOT_DIR', `The data directory ${dir} is a file, not a directory; give a directory with --data-dir (or [paths] data_dir).`);
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw refused(dir, code, e);
    if (!create) {
      throw new ConfigError('DATA_DIR_MISSING', `There is no data directory ${dir}; check --data-dir (or [paths] data_dir): qkmd creates it when it first starts.`);
    }
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (made) {
      throw refused(dir, (made as NodeJS.ErrnoException).code, made);
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw refused(dir, (e as NodeJS.ErrnoException).code, e);
  }
}

function refused(dir: string, code: string | undefined, cause: unknown): ConfigError {
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return new ConfigError('DATA_DIR_NOT_DIR', `The data directory ${dir} cannot be made: a part of that path is a file; give a directory with --data-dir (or [paths] data_dir).`, { cause });
    case 'EROFS':
      return new ConfigError('DATA_DIR_READ_ONLY', `The data directory ${dir} is on a read-only file system; give a writable one with --data-dir, or remount it read-write.`, { cause });
    case 'EACCES':
    case 'EPERM':
      return new ConfigError('DATA_DIR_FORBIDDEN', `You may not write in the data directory ${dir}; run this as the user that owns it (qkmd's user), or give another --data-dir.`, { cause });
    default:
      return new ConfigError('DATA_DIR_UNUSABLE', `The data directory ${dir} cannot be used (${code ?? String(cause)}); check the path given to --data-dir (or [paths] data_dir).`, { cause });
  }
}
