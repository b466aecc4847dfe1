import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from '../util/durable-file.js';
import type { Logger } from './logger.js';

/**
 * Trace logging, the manual's `-D on|off`: off by default, kept in the data directory so
 * it outlives the command that set it, and followed by a running qkmd within a second.
 * While on, every log takes the `trace` level whatever `[log] level` says.
 */
const TRACE_FILE = 'trace-logging.json';

interface TraceSetting {
  on: boolean;
  changedAt: string;
}

const traceFile = (dataDir: string) => path.join(dataDir, TRACE_FILE);

export function traceLoggingOn(dataDir: string): boolean {
  try {
    return (JSON.parse(readFileSync(traceFile(dataDir), 'utf8')) as TraceSetting).on === true;
  } catch {
    return false; // never set (or unreadable): the default, off
  }
}

export function setTraceLogging(dataDir: string, on: boolean, now: number): void {
  writeFileDurable(traceFile(dataDir), `${JSON.stringify({ on, changedAt: new Date(now).toISOString() } satisfies TraceSetting)}\n`, 0o600);
}

/** The level a log opens at: `trace` while trace logging is on, else the configured one. */
export function effectiveLogLevel(dataDir: string, configured: string): string {
  return traceLoggingOn(dataDir) ? 'trace' : configured;
}

/** Keeps `log`'s level in step with the setting (qkmd); returns the function that stops watching. */
export function followTraceSetting(dataDir: string, log: Logger, configured: string, intervalMs = 1000): () => void {
  const file = traceFile(dataDir);
  const apply = () => {
    const level = effectiveLogLevel(dataDir, configured);
    if (level === log.level) return;
    log.level = level;
    log.info({ level }, level === 'trace' ? 'trace logging on' : 'trace logging off');
  };
  // Polling a stat once a second costs nothing measurable, and works where inotify does not.
  watchFile(file, { interval: intervalMs, persistent: false }, apply);
  return () => unwatchFile(file, apply);
}
