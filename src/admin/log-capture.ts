import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { QkmConfig } from '../config/config.js';
import type { World } from '../engine/index.js';
import { QkmError } from '../errors.js';
import type { ToolCapture } from '../hardware/tool-capture.js';
import { auditDir, withAuditLock } from '../logs/audit.js';
import { removeDurableTemps, writeFileDurable } from '../util/durable-file.js';
import { gzipTarInMemory } from '../util/tar-memory.js';
import { dryRunLog } from './system-settings.js';
import type { OpenEngine } from './engine-session.js';
import { hardwareStatus, hardwareToolOutputs } from './hardware.js';
import { listTickets } from './tickets.js';
import os from 'node:os';

/**
 * What a log capture gathers besides the data directory's files; each may fail on its own
 * (qkmd not running, a keystore that cannot be opened), which the capture then names.
 */
export interface LogCaptureScope {
  dataDir: string;
  config: QkmConfig;
  serial: string;
  world: World;
  version: string;
  /** Where the .tgz goes: the data directory (sim) or the administrator's home (appliance). */
  outDir: string;
  /** The storage tools' outputs, through the running qkmd's drivers. */
  tools: () => Promise<ToolCapture>;
  /** `hw status --json` as the running qkmd sees it. */
  hardwareStatus: () => Promise<unknown>;
  /** Every RAS ticket, open and closed. */
  tickets: () => Promise<unknown>;
}

export interface LogCapture {
  file: string;
  entries: string[];
  problems: { path: string; reason: string }[];
}

/** Files in <data_dir>/logs that are no log: the audit log's lock, a head being replaced. */
const NOT_LOGS = /^(audit\.lock|\..*\.tmp)$/;
/** Files of <data_dir>/system that hold settings, never a secret. */
const SYSTEM_FILES = ['settings.json'];

/** `qkm_logcapture_<SN><date><time>.tgz`: the backups' stamp, so two captures a day never meet. */
export function logCaptureName(serial: string, ms: number): string {
  const iso = new Date(ms).toISOString();
  return `qkm_logcapture_${serial}${iso.slice(0, 10).replace(/-/g, '')}${iso.slice(11, 19).replace(/:/g, '')}.tgz`;
}

/**
 * Gathers the logs (error, audit, system: every file of <data_dir>/logs, rotated ones
 * too), the configuration, the system settings, the tickets, the hardware status and the
 * storage tools' outputs into one .tgz, with a manifest of what is in it and what could
 * not be had. It takes only what it names: never the keystore, the master key, the TLS
 * keys, the backup key, the console's password hash or anything else under the data
 * directory. The key server keeps running: nothing here stops or locks it (the audit
 * log's lock is held only while its files are read, so the chain is captured whole).
 */
export async function captureLogs(s: LogCaptureScope): Promise<LogCapture> {
  if (!existsSync(s.outDir) || !statSync(s.outDir).isDirectory()) {
    throw new QkmError('LOG_CAPTURE_FOLDER', `The folder ${s.outDir} for the log capture does not exist; create it or give another.`, { params: { folder: s.outDir } });
  }
  const now = s.world.now();
  const files: { name: string; data: string | Uint8Array; mode: number }[] = [];
  const problems: LogCapture['problems'] = [];
  const add = (name: string, data: string | Uint8Array) => files.push({ name, data, mode: 0o600 });
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  const gather = async (name: string, get: () => Promise<unknown>) => {
    try {
      add(name, json(await get()));
    } catch (e) {
      problems.push({ path: name, reason: (e as Error).message });
    }
  };

  const logs = auditDir(s.dataDir);
  if (existsSync(logs)) {
    withAuditLock(logs, () => {
      for (const name of readdirSync(logs).sort()) {
        const file = path.join(logs, name);
        if (!NOT_LOGS.test(name) && statSync(file).isFile()) add(`logs/${name}`, readFileSync(file));
      }
    });
  }
  add('config/effective.json', json(s.config));
  for (const source of s.config.sources) {
    if (existsSync(source) && statSync(source).isFile()) add(`config/${path.basename(source)}`, readFileSync(source));
  }
  for (const name of SYSTEM_FILES) {
    const file = path.join(s.dataDir, 'system', name);
    if (existsSync(file)) add(`system/${name}`, readFileSync(file));
  }
  if (existsSync(dryRunLog(s.dataDir))) add('system/dry-run.jsonl', readFileSync(dryRunLog(s.dataDir)));
  await gather('tickets.json', s.tickets);
  await gather('hw-status.json', s.hardwareStatus);
  try {
    const tools = await s.tools();
    for (const f of tools.files) add(f.path, f.content);
    problems.push(...tools.problems);
  } catch (e) {
    problems.push({ path: 'proc, mdadm, smartctl, storcli', reason: (e as Error).message });
  }

  const manifest = {
    format: 'qkm-logcapture', version: s.version, serial: s.serial, createdAt: new Date(now).toISOString(),
    profile: s.config.hardware.profile,
    files: files.map((f) => ({ path: f.name, bytes: Buffer.byteLength(f.data), sha256: createHash('sha256').update(f.data).digest('hex') })),
    problems,
  };
  add('manifest.json', json(manifest));

  const file = path.join(s.outDir, logCaptureName(s.serial, now));
  removeDurableTemps(file);
  writeFileDurable(file, gzipTarInMemory(files, new Date(now)), 0o600);
  return { file, entries: files.map((f) => f.name), problems };
}

/** Where `-L` and the menu put the capture: the data directory on the simulator, the administrator's home on the appliance (the manual's /home/akmadmin). */
export function logCaptureFolder(config: QkmConfig): string {
  return config.hardware.profile === 'appliance' ? (process.env.HOME || os.homedir()) : config.paths.data_dir;
}

/** The capture as `qkmcmds -L` and the menu take it: tools, status and tickets from the running qkmd and the keystore. */
export function captureApplianceLogs(o: { config: QkmConfig; world: World; serial: string; version: string; openEngine: OpenEngine }): Promise<LogCapture> {
  const dataDir = o.config.paths.data_dir;
  return captureLogs({
    dataDir, config: o.config, serial: o.serial, world: o.world, version: o.version, outDir: logCaptureFolder(o.config),
    tools: () => hardwareToolOutputs(dataDir),
    hardwareStatus: () => hardwareStatus(dataDir),
    tickets: () => listTickets(o.openEngine, { all: true }),
  });
}
