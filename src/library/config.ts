/**
 * The simulated library's configuration file (TOML): its class, its certificate bundle,
 * the key servers it asks (primary first) and its partitions with their drives. Anything
 * wrong is one sentence naming the file and the key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import TOML from '@iarna/toml';
import { LIBRARY_CLASSES, type LibraryClass } from '../engine/index.js';
import { LibraryError, unreadable } from './errors.js';

export type ServerRole = 'primary' | 'secondary';

export interface ServerAddress {
  role: ServerRole;
  host: string;
  port: number;
}

export interface Partition {
  name: string;
  drives: string[];
}

export interface LibraryConfig {
  file: string;
  class: LibraryClass;
  /** The .tgz `qkmcmds certs library-bundle` wrote. */
  bundle: string;
  /** Where the library keeps its tapes, tickets and log. */
  stateDir: string;
  /** Primary first; the secondary when configured. */
  servers: ServerAddress[];
  partitions: Partition[];
  /** How long a key server may take to connect or answer before the library fails over. */
  timeoutMs: number;
}

const TOP_KEYS = ['class', 'bundle', 'state_dir', 'servers', 'partition'];
const SERVER_KEYS = ['primary', 'secondary', 'timeout_seconds'];
const PARTITION_KEYS = ['name', 'drives'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const DEFAULT_TIMEOUT_SECONDS = 5;

export function loadLibraryConfig(file: string): LibraryConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LibraryError('LIBRARY_CONFIG', `Cannot read the library configuration ${file} (${unreadable(e)}); give --config an existing TOML file.`, { cause: e, params: { file } });
  }
  let doc: Record<string, unknown>;
  try {
    doc = TOML.parse(text) as Record<string, unknown>;
  } catch (e) {
    const where = (e as { line?: number }).line === undefined ? '' : ` at line ${(e as { line: number }).line + 1}`;
    throw new LibraryError('LIBRARY_CONFIG', `${file} is not valid TOML${where}; correct it and try again.`, { cause: e, params: { file } });
  }
  return parseLibraryConfig(doc, file);
}

export function parseLibraryConfig(doc: Record<string, unknown>, file: string): LibraryConfig {
  const bad = (what: string): never => {
    throw new LibraryError('LIBRARY_CONFIG', `${file}: ${what}.`, { params: { file, setting: what } });
  };
  const here = path.dirname(path.resolve(file));
  unknownKeys(doc, TOP_KEYS, '', bad);

  const cls = doc.class;
  if (typeof cls !== 'string' || !(LIBRARY_CLASSES as readonly string[]).includes(cls)) {
    bad(`class must be ${LIBRARY_CLASSES.map((c) => `"${c}"`).join(' or ')}, the library's model`);
  }
  const bundle = pathKey(doc, 'bundle', "the certificate bundle from the key server's administrator", here, bad);
  const stateDir = pathKey(doc, 'state_dir', "the folder for the library's tapes, tickets and log", here, bad);

  const servers = doc.servers;
  if (!isTable(servers)) return bad('[servers] is missing; give at least primary = "HOST:PORT"');
  unknownKeys(servers, SERVER_KEYS, 'servers.', bad);
  const list: ServerAddress[] = [address(servers.primary, 'primary', bad, true)!];
  const secondary = address(servers.secondary, 'secondary', bad, false);
  if (secondary) list.push(secondary);
  const timeout = servers.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (typeof timeout !== 'number' || !(timeout > 0 && timeout <= 600)) bad('servers.timeout_seconds must be a number of seconds from 0 to 600');

  const partitions = doc.partition;
  if (!Array.isArray(partitions) || partitions.length === 0) {
    return bad('no [[partition]] is given; add one with name = "P1" and drives = ["D1", "D2"]');
  }
  const seenPartitions = new Set<string>();
  const seenDrives = new Set<string>();
  const parsed = partitions.map((p, i): Partition => {
    if (!isTable(p)) return bad(`partition ${i + 1} must be a table`);
    unknownKeys(p, PARTITION_KEYS, `partition ${i + 1}: `, bad);
    if (typeof p.name !== 'string' || !NAME.test(p.name)) bad(`partition ${i + 1} needs a name of 1 to 32 letters, digits, dots, dashes or underscores`);
    const name = p.name as string;
    if (seenPartitions.has(name)) bad(`partition ${name} is given twice`);
    seenPartitions.add(name);
    if (!Array.isArray(p.drives) || p.drives.length === 0) bad(`partition ${name} needs drives = ["D1", ...], at least one`);
    for (const d of p.drives as unknown[]) {
      if (typeof d !== 'string' || !NAME.test(d)) bad(`partition ${name} has a drive name that is not 1 to 32 letters, digits, dots, dashes or underscores`);
      if (seenDrives.has(d as string)) bad(`drive ${d as string} is in more than one place; each drive belongs to one partition`);
      seenDrives.add(d as string);
    }
    return { name, drives: p.drives as string[] };
  });
  return { file, class: cls as LibraryClass, bundle, stateDir, servers: list, partitions: parsed, timeoutMs: (timeout as number) * 1000 };
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(table: Record<string, unknown>, known: readonly string[], prefix: string, bad: (what: string) => never): void {
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) bad(`${prefix}${key} is not a setting of the library (known: ${known.join(', ')})`);
  }
}

function pathKey(doc: Record<string, unknown>, key: string, what: string, here: string, bad: (what: string) => never): string {
  const v = doc[key];
  if (typeof v !== 'string' || v === '') return bad(`${key} must name ${what}`);
  return path.resolve(here, v);
}

function address(v: unknown, role: ServerRole, bad: (what: string) => never, required: boolean): ServerAddress | undefined {
  if (v === undefined && !required) return undefined;
  const m = typeof v === 'string' ? /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v) : null;
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) return bad(`servers.${role} must be "HOST:PORT" (the key server's address and port, such as "10.0.0.5:6000")`);
  return { role, host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
