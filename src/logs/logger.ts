import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';

export type Logger = pino.Logger;

/**
 * One JSON-lines log per program in <data_dir>/logs. Stack traces and details go here,
 * never to the user's terminal. Writes are synchronous so the line that explains a
 * crash is on disk before the process dies.
 */
export function openLog(dataDir: string, program: string, level = 'info'): Logger {
  const dir = path.join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return pino({ level, base: { program, pid: process.pid } }, pino.destination({ dest: path.join(dir, `${program}.log`), sync: true, mkdir: true }));
}

export function logFile(dataDir: string, program: string): string {
  return path.join(dataDir, 'logs', `${program}.log`);
}

/** For code paths that run before a data directory is known, and for tests. */
export const silentLog: Logger = pino({ level: 'silent' });
