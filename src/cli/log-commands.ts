import { QkmError } from '../errors.js';
import { setTraceLogging, traceLoggingOn } from '../logs/trace-setting.js';
import { type Context, VERSION } from './context.js';
import { captureApplianceLogs, type LogCapture } from '../admin/log-capture.js';
import type { OpenEngine } from '../admin/engine-session.js';

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

/** `qkmcmds -L`: the log capture, taken while the key server keeps running. */
export async function captureLogsCommand(ctx: Context, openEngine: OpenEngine): Promise<void> {
  let r: LogCapture;
  try {
    r = await captureApplianceLogs({ config: ctx.config, world: ctx.world, serial: ctx.serial, version: VERSION, openEngine });
  } catch (e) {
    ctx.audit.record({ action: 'capture logs', outcome: 'failed', details: { error: (e as { code?: string }).code ?? String(e) } });
    throw e;
  }
  ctx.audit.record({ action: 'capture logs', outcome: 'done', details: { file: r.file, files: r.entries.length, missing: r.problems.map((p) => p.path) } });
  for (const line of describeCapture(r)) out(line);
}

/** What the administrator is told of a capture (the menu says the same). */
export function describeCapture(r: LogCapture): string[] {
  return [
    `Wrote ${r.file} (${r.entries.length} files: the logs, the configuration, tickets and the hardware tools' outputs; no keys or passwords).`,
    ...r.problems.map((p) => `  not in it: ${p.path} (${p.reason})`),
    'Copy it off this server (sftp) for support.',
  ];
}
