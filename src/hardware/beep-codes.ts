import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { BeepDecoding } from '../../drivers/beeps/contract.js';
import { loadBeepTable, meaningOf, type BeepTable } from '../../drivers/beeps/table.js';
import type { PostFinding } from '../agent/health.js';
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
      : `There is no beep code table for the model "${nameOrFile}"; the models are ${known.join(', ')}.`, { params: { table: nameOrFile } });
  }
  try {
    return loadBeepTable(file);
  } catch (e) {
    throw e instanceof DriverError ? new ConfigError('DRIVER_ERROR', e.message, { cause: e, params: { driverCode: e.code } }) : e;
  }
}

/**
 * What the agent says a boot's POST pattern means: the QKM server's table. A table that
 * cannot be loaded is logged once and leaves the manual's rule alone (one beep passes,
 * anything else is a problem), rather than keeping qkmd from starting.
 */
export function postDescriber(log: { warn(obj: object, msg: string): void }): ((d: BeepDecoding) => Pick<PostFinding, 'verdict' | 'meaning' | 'action'>) | undefined {
  let table: BeepTable;
  try {
    table = beepTable();
  } catch (e) {
    log.warn({ err: e }, 'the beep code table could not be loaded; POST patterns are judged by the manual\'s rule alone');
    return undefined;
  }
  return (d) => {
    const m = meaningOf(table, d);
    return { verdict: m.verdict === 'passed' ? 'passed' : 'problem', meaning: m.meaning, action: m.action };
  };
}
