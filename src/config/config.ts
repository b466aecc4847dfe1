import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import TOML from '@iarna/toml';
import { ConfigError } from '../errors.js';
import { SETTINGS, type Setting, type Settings, describeAllowed, envName } from './schema.js';

/** The settings as `SCHEMA` in ./schema.ts types them, and where they came from. */
export interface QkmConfig extends Settings {
  /** Where the config came from, for messages and for `qkmcmds config`. */
  sources: string[];
}

/** The checkout (or installed package) root: the embedded default lives under it. */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
export const EMBEDDED_CONFIG = path.join(PACKAGE_ROOT, 'config', 'qkm.toml');

export interface LoadOptions {
  /** `--config FILE` */
  configFile?: string;
  /** `--data-dir DIR`: wins over everything, it is the most specific thing a user typed. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Defaults to the embedded config/qkm.toml; tests may point elsewhere. */
  embeddedFile?: string;
  cwd?: string;
}

type Values = Record<string, Record<string, unknown>>;
interface Origin { where: string; dir: string }

/** Loads defaults, then config/qkm.toml, then --config, then QKM_* variables, then --data-dir. */
export function loadConfig(opts: LoadOptions = {}): QkmConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const values: Values = {};
  const origins: Record<string, Origin> = {};
  const sources: string[] = [];
  for (const s of SETTINGS) (values[s.section] ??= {})[s.key] = s.default;

  // The embedded file speaks for the checkout (its ./var is <checkout>/var); any other
  // file's relative paths are relative to that file's own folder.
  const embedded = opts.embeddedFile ?? EMBEDDED_CONFIG;
  applyFile(embedded, path.dirname(path.dirname(embedded)), values, origins);
  sources.push(embedded);
  if (opts.configFile) {
    const file = path.resolve(cwd, opts.configFile);
    applyFile(file, path.dirname(file), values, origins);
    sources.push(file);
  }
  refuseUnknownEnv(env);
  for (const s of SETTINGS) {
    const name = envName(s);
    const raw = env[name];
    if (raw === undefined) continue;
    values[s.section]![s.key] = parseEnv(s, raw, name);
    origins[`${s.section}.${s.key}`] = { where: `environment variable ${name}`, dir: cwd };
    sources.push(name);
  }
  if (opts.dataDir !== undefined) {
    values.paths!.data_dir = checkValue(SETTINGS.find((s) => s.key === 'data_dir')!, opts.dataDir, 'option --data-dir');
    origins['paths.data_dir'] = { where: 'option --data-dir', dir: cwd };
  }

  // A relative data_dir is relative to where it was written (see above); a flag's or a variable's is the cwd.
  const dataOrigin = origins['paths.data_dir'] ?? { where: 'built-in default', dir: PACKAGE_ROOT };
  values.paths!.data_dir = path.resolve(dataOrigin.dir, values.paths!.data_dir as string);
  // Every SETTINGS row has been set and checked against its rule above: the shape is Settings by construction.
  return { ...(values as Settings), sources };
}

/** Walks up from here to the folder with package.json: the same from src/ (tests) and dist/src/ (built). */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

function applyFile(file: string, baseDir: string, values: Values, origins: Record<string, Origin>): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('CONFIG_UNREADABLE', `Cannot read the config file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path given to --config.`, { cause: e, params: { file, reason: (e as NodeJS.ErrnoException).code ?? 'error' } });
  }
  let doc: Record<string, unknown>;
  try {
    doc = TOML.parse(text) as Record<string, unknown>;
  } catch (e) {
    const line = typeof (e as { line?: number }).line === 'number' ? (e as { line: number }).line + 1 : undefined;
    throw new ConfigError('CONFIG_SYNTAX', `The config file ${file}${line ? ` line ${line}` : ''} is not valid TOML; fix the syntax there.`, { cause: e, params: line === undefined ? { file } : { file, line } });
  }
  for (const [section, table] of Object.entries(doc)) {
    const known = SETTINGS.filter((s) => s.section === section);
    if (known.length === 0 || typeof table !== 'object' || table === null || Array.isArray(table)) {
      const allowed = [...new Set(SETTINGS.map((s) => `[${s.section}]`))].join(', ');
      throw new ConfigError('CONFIG_UNKNOWN_KEY', `Unknown section [${section}] in ${file} line ${lineOf(text, section)}; allowed sections are ${allowed}.`, { params: { file, section } });
    }
    for (const [key, value] of Object.entries(table as Record<string, unknown>)) {
      const setting = known.find((s) => s.key === key);
      const where = `${file} line ${lineOf(text, section, key)}`;
      if (!setting) {
        throw new ConfigError('CONFIG_UNKNOWN_KEY', `Unknown key ${section}.${key} in ${where}; [${section}] allows ${known.map((s) => s.key).join(', ')}.`, { params: { file, section, key } });
      }
      values[section]![key] = checkValue(setting, value, where, typeof value === 'string' ? show(value) : writtenAt(text, section, key) ?? show(value));
      origins[`${section}.${key}`] = { where, dir: baseDir };
    }
  }
}

function checkValue(s: Setting, value: unknown, where: string, written: string = show(value)): string | number | boolean {
  const t = s.type;
  const ok =
    (t.kind === 'string' && typeof value === 'string' && (!t.pattern || t.pattern.test(value))) ||
    (t.kind === 'int' && typeof value === 'number' && Number.isInteger(value) && value >= t.min && value <= t.max) ||
    (t.kind === 'bool' && typeof value === 'boolean') ||
    (t.kind === 'enum' && typeof value === 'string' && t.values.includes(value));
  if (!ok) {
    throw new ConfigError('CONFIG_BAD_VALUE', `${s.section}.${s.key} in ${where} is ${written}, but it must be ${describeAllowed(t)}.`, { params: { setting: `${s.section}.${s.key}`, where } });
  }
  if (s.unavailable !== undefined && value !== s.default) {
    throw new ConfigError('CONFIG_UNAVAILABLE', `${s.section}.${s.key} in ${where} is ${written}, but ${s.unavailable}.`, { params: { setting: `${s.section}.${s.key}`, where } });
  }
  return value as string | number | boolean;
}

/** A value as the user wrote it, near enough: TOML gives integers past 2^53 as BigInt and 1e400 as Infinity. */
function show(value: unknown): string {
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (value instanceof Date) return value.toISOString();
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function parseEnv(s: Setting, raw: string, name: string): string | number | boolean {
  const where = `environment variable ${name}`;
  const written = /^-?\d+$/.test(raw.trim()) ? raw.trim() : show(raw);
  if (s.type.kind === 'int') return checkValue(s, /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw, where, written);
  if (s.type.kind === 'bool') {
    const v = raw.trim().toLowerCase();
    return checkValue(s, ['true', '1', 'yes', 'on'].includes(v) ? true : ['false', '0', 'no', 'off'].includes(v) ? false : raw, where, written);
  }
  return checkValue(s, raw, where, written);
}

/**
 * A QKM_ variable that names no setting is refused as an unknown key in a file is: a
 * misspelt QKM_KMIP_PROT would otherwise be ignored without a word. Variables of the
 * test harness (QKM_REQUIRE_TOOLS, QKM_STRESS_SECONDS, ...) start with no section name
 * and are left alone, unless they are one letter or two away from a setting's name.
 */
function refuseUnknownEnv(env: NodeJS.ProcessEnv): void {
  const known = SETTINGS.map(envName);
  const sections = [...new Set(SETTINGS.map((s) => `QKM_${s.section.toUpperCase()}_`))];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('QKM_') || known.includes(name)) continue;
    const nearest = known.map((k) => ({ k, d: editDistance(name, k) })).sort((a, b) => a.d - b.d)[0]!;
    if (nearest.d > 2 && !sections.some((p) => name.startsWith(p))) continue;
    const hint = nearest.d <= 3 ? `did you mean ${nearest.k}?` : 'see config/qkm.toml for the settings (QKM_<SECTION>_<KEY>).';
    throw new ConfigError('CONFIG_UNKNOWN_ENV', `Unknown environment variable ${name}: no setting has that name; ${hint} Unset it or correct it.`, { params: { name } });
  }
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The text of a key's value as written (the parser wraps integers past 64 bits, so its value may not be). */
function writtenAt(text: string, section: string, key: string): string | undefined {
  const line = text.split(/\r?\n/)[lineOf(text, section, key) - 1] ?? '';
  const m = /=\s*([^#]*?)\s*(#.*)?$/.exec(line);
  return m?.[1] || undefined;
}

/** The 1-based line of `[section]` or of `key =` inside it; TOML parsers do not report positions of valid keys. */
function lineOf(text: string, section: string, key?: string): number {
  const lines = text.split(/\r?\n/);
  let inSection = false;
  let sectionLine = 1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    const header = /^\[\s*([^\]\s]+)\s*\]/.exec(l);
    if (header) {
      inSection = header[1] === section;
      if (inSection) sectionLine = i + 1;
      continue;
    }
    if (inSection && key && new RegExp(`^["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`).test(l)) return i + 1;
  }
  return sectionLine;
}
