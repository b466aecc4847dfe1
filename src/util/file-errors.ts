/** Codes that say the disk under a file failed, not the program: a log write must survive them. */
const DISK_FAILURE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EFBIG', 'EROFS']);

export function isDiskFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code !== undefined && DISK_FAILURE_CODES.has(code);
}

/** A failed file operation in the words an administrator acts on (the code stays in the log). */
export function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EFBIG':
      return 'the file is too large';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'the folder does not exist';
    case 'ENOTDIR':
      return 'part of the path is not a folder';
    case 'EISDIR':
      return 'it is a folder';
    case 'EIO':
      return 'an input/output error on the disk';
    default:
      return code ?? (err as Error)?.message ?? String(err);
  }
}
