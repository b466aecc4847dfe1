import { QkmError } from '../errors.js';
import { setTraceLogging, traceLoggingOn } from '../logs/trace-setting.js';
import type { Context } from './context.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** `qkmcmds -D on|off`: trace logging, kept in the data directory; a running qkmd follows it within a second. */
export function switchTraceLogging(ctx: Context, value: string): void {
  const v = value.trim().toLowerCase();
  if (v !== 'on' && v !== 'off') {
    ctx.audit.record({ action: 'trace logging', outcome: 'refused', details: { reason: 'neither on nor off', characters: value.length } });
    throw new QkmError('USAGE', `-D takes on or off, not "${value.slice(0, 20)}"; nothing was changed.`);
  }
  const dataDir = ctx.config.paths.data_dir;
  const was = traceLoggingOn(dataDir);
  setTraceLogging(dataDir, v === 'on', ctx.world.now());
  ctx.audit.record({ action: 'trace logging', outcome: 'done', details: { on: v === 'on', was } });
  out(v === 'on'
    ? 'Trace logging is on: qkmd and qkmcmds log every request in detail (the logs grow fast; turn it off with -D off once support has what it needs).'
    : 'Trace logging is off.');
}
