import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QkmError } from '../errors.js';
import { consoleDir } from './console-password.js';
import { holdKernelLock } from './data-dir-lock.js';

/**
 * One administrator at a time. The decision is the kernel's lock on console/session.lock
 * (taken as the data directory's own lock is), so a session that dies however it dies
 * (closed pane, lost SSH, SIGKILL) frees it at once: nothing stale to clear by hand.
 * session.pid only names the holder for the refusal; a stale one is overwritten.
 */
export function claimConsole(dataDir: string): () => void {
  const dir = consoleDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = holdKernelLock(path.join(dir, 'session.lock'));
  const pidFile = path.join(dir, 'session.pid');
  if (!db) {
    const pid = Number.parseInt(readText(pidFile), 10) || undefined;
    throw new QkmError('CONSOLE_BUSY', `The administrator's console is already running${pid ? ` (pid ${pid})` : ''}; only one administrator may use it at a time.`, { params: { pid } });
  }
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o644 });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    rmSync(pidFile, { force: true });
    db.close();
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
