import { writeSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { SETTINGS } from '../config/schema.js';
import { boundText } from '../util/bounded-text.js';
import { LOG_STRING_MAX, boundFields } from './bounded-fields.js';
import { RotatingLogFile, type RotationLimits } from './rotating-file.js';

export type Logger = pino.Logger;

const defaultKib = (key: string) => Number(SETTINGS.find((s) => s.section === 'log' && s.key === key)!.default);

/** The defaults of `[log] max_file_kib` and `[log] max_total_kib`, for a log opened without a config. */
export const DEFAULT_LOG_LIMITS: RotationLimits = { maxFileBytes: defaultKib('max_file_kib') * 1024, maxTotalBytes: defaultKib('max_total_kib') * 1024 };

export interface LogOptions extends Partial<RotationLimits> {
  /** Say on stderr, once, that the log cannot be written (qkmd: yes; a command may prefer its own sentence). */
  announceFailure?: boolean;
}

/**
 * One JSON-lines log per program in <data_dir>/logs. Stack traces and details go here,
 * never to the user's terminal. Writes are synchronous so the line that explains a
 * crash is on disk before the process dies. The file rotates by size under a cap on the
 * total; a write that fails (a full disk) loses that line, never the program.
 */
export function openLog(dataDir: string, program: string, level = 'info', options: LogOptions = {}): Logger {
  const base = { program, pid: process.pid };
  const open = (name: string) => new RotatingLogFile(logFile(dataDir, name), {
    maxFileBytes: options.maxFileBytes ?? DEFAULT_LOG_LIMITS.maxFileBytes,
    maxTotalBytes: options.maxTotalBytes ?? DEFAULT_LOG_LIMITS.maxTotalBytes,
    announce: (sentence) => {
      if (options.announceFailure ?? true) toStderr(`${program}: ${sentence}\n`);
    },
    // The log's own remarks, in the shape pino gives every line (level 40 = warn).
    notice: (msg, fields) => `${JSON.stringify({ level: 40, time: Date.now(), ...base, ...fields, msg })}\n`,
  });
  const file = open(program);
  // The error log: every program's errors in one file, opened at the first error, so
  // support reads what went wrong without the rest (the manual's error log).
  let errors: RotatingLogFile | undefined;
  const errorLog = { write: (line: string) => (errors ??= open(ERROR_LOG)).write(line) };
  return pino({
    level,
    base,
    formatters: { log: boundFields },
    // boundFields has already serialised errors; pino's serialiser would do it again, unbounded.
    serializers: { err: (e: unknown) => e, msg: (m: unknown) => (typeof m === 'string' ? boundText(m, LOG_STRING_MAX) : m) },
  }, pino.multistream([{ level: 'trace', stream: file }, { level: 'error', stream: errorLog }]));
}

/** The log every program's errors also go to. */
export const ERROR_LOG = 'error';

export function logFile(dataDir: string, program: string): string {
  return path.join(dataDir, 'logs', `${program}.log`);
}

/** For code paths that run before a data directory is known, and for tests. */
export const silentLog: Logger = pino({ level: 'silent' });

/** Straight to fd 2: a stream's write to a closed stderr would raise an error event later. */
function toStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // nowhere left to say it
  }
}
