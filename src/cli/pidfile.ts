import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { QkmError } from '../errors.js';

const PIDFILE = 'qkmd.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the qkmd that owns this data directory, if one is running. */
export function runningQkmd(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, PIDFILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Claims the data directory for this qkmd; a second one on the same directory is refused. */
export function claimDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, PIDFILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = runningQkmd(dataDir);
      if (other !== undefined) {
        throw new QkmError('ALREADY_RUNNING', `qkmd is already running (pid ${other}) on ${dataDir}; stop it first or give another --data-dir.`);
      }
      rmSync(file, { force: true }); // left by a qkmd that was killed
    }
  }
  throw new QkmError('ALREADY_RUNNING', `Another qkmd is starting on ${dataDir}; try again in a moment.`);
}

export function assertQkmdStopped(dataDir: string, action: string): void {
  const pid = runningQkmd(dataDir);
  if (pid !== undefined) {
    throw new QkmError('QKMD_RUNNING', `qkmd is running (pid ${pid}) on ${dataDir}; stop it before you ${action}.`);
  }
}
