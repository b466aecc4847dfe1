import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadBeepTable, type BeepTable } from '../../drivers/beeps/table.js';
import { DriverError } from '../../drivers/errors.js';
import { PACKAGE_ROOT } from '../config/config.js';
import { ConfigError } from '../errors.js';

/** The shipped tables, one per server model. */
export const BEEP_CODES_DIR = path.join(PACKAGE_ROOT, 'config', 'beep-codes');
/** The QKM server's own model. */
export const DEFAULT_BEEP_CODES = 'ibm-system-x';

/**
 * A beep code table by model name (a file in config/beep-codes) or by path (a table of
 * one's own for another server). A missing or broken table is one sentence.
 */
export function beepTable(nameOrFile: string = DEFAULT_BEEP_CODES): BeepTable {
  const isPath = nameOrFile.includes('/') || nameOrFile.endsWith('.toml');
  const file = isPath ? path.resolve(nameOrFile) : path.join(BEEP_CODES_DIR, `${nameOrFile}.toml`);
  if (!existsSync(file)) {
    const known = readdirSync(BEEP_CODES_DIR).filter((f) => f.endsWith('.toml')).map((f) => f.slice(0, -5));
    throw new ConfigError('BEEP_CODES_UNKNOWN', isPath
      ? `There is no beep code table at ${file}; give an existing .toml file or one of the models ${known.join(', ')}.`
      : `There is no beep code table for the model "${nameOrFile}"; the models are ${known.join(', ')}.`);
  }
  try {
    return loadBeepTable(file);
  } catch (e) {
    throw e instanceof DriverError ? new ConfigError(e.code, e.message, { cause: e }) : e;
  }
}
