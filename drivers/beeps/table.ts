import { readFileSync } from 'node:fs';
import TOML from '@iarna/toml';
import { DriverError } from '../errors.js';
import type { BeepDecoding } from './contract.js';

/** What one pattern means and what to do about it, as a server model's table says. */
export interface BeepMeaning {
  meaning: string;
  action: string;
}

/** A server model's POST beep codes (config/beep-codes/<model>.toml). */
export interface BeepTable {
  model: string;
  /** The pattern that means POST passed, and its words. */
  passed: BeepMeaning & { pattern: string };
  /** The manual's rule for every pattern the table does not list. */
  otherwise: BeepMeaning;
  codes: ReadonlyMap<string, BeepMeaning>;
}

export type PostVerdict = 'passed' | 'problem' | 'no-beep';

export interface PostMeaning extends BeepMeaning {
  verdict: PostVerdict;
  /** True when the table lists the pattern itself; false when only the manual's rule applies. */
  listed: boolean;
}

function bad(file: string, why: string): DriverError {
  return new DriverError('CONFIG_INVALID', `The beep code table ${file} is not usable (${why}); fix it or restore the file shipped with qkm.`, { file });
}

function words(file: string, where: string, v: unknown): BeepMeaning {
  const o = v as Record<string, unknown> | undefined;
  if (typeof o?.meaning !== 'string' || o.meaning === '' || typeof o.action !== 'string' || o.action === '') {
    throw bad(file, `${where} needs a meaning and an action`);
  }
  return { meaning: o.meaning, action: o.action };
}

export function loadBeepTable(file: string): BeepTable {
  let doc: Record<string, unknown>;
  try {
    doc = TOML.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new DriverError('CONFIG_INVALID', `The beep code table ${file} cannot be read (${(e as Error).message.split('\n')[0]}); fix it or restore the file shipped with qkm.`, { file }, { cause: e });
  }
  if (typeof doc.model !== 'string' || doc.model === '') throw bad(file, 'it names no model');
  const passed = doc.passed as Record<string, unknown> | undefined;
  if (typeof passed?.pattern !== 'string') throw bad(file, '[passed] needs the pattern POST sounds when it passes');
  const codes = new Map<string, BeepMeaning>();
  const list = doc.code ?? [];
  if (!Array.isArray(list)) throw bad(file, 'code must be a list of [[code]] tables');
  for (const [i, c] of list.entries()) {
    const pattern = (c as Record<string, unknown>).pattern;
    if (typeof pattern !== 'string' || pattern === '') throw bad(file, `code number ${i + 1} has no pattern`);
    if (codes.has(pattern) || pattern === passed.pattern) throw bad(file, `the pattern "${pattern}" is listed twice`);
    codes.set(pattern, words(file, `the code "${pattern}"`, c));
  }
  return { model: doc.model, passed: { pattern: passed.pattern, ...words(file, '[passed]', passed) }, otherwise: words(file, '[otherwise]', doc.otherwise), codes };
}

const NO_BEEP: BeepMeaning = {
  meaning: 'No beep was found in the recording.',
  action: 'Record again from power-on, with the phone close to the front of the server and the room as quiet as it can be.',
};

/**
 * The manual's rule, with the maker's table for the detail: the pass pattern heard once
 * is a pass; heard again and again it is "more than one beep", a problem.
 */
export function meaningOf(table: BeepTable, d: BeepDecoding): PostMeaning {
  if (d.pattern === null) return { verdict: 'no-beep', listed: false, ...NO_BEEP };
  if (d.pattern === table.passed.pattern && !d.repeating) {
    return { verdict: 'passed', listed: true, meaning: table.passed.meaning, action: table.passed.action };
  }
  const listed = d.pattern === table.passed.pattern ? undefined : table.codes.get(d.pattern);
  return { verdict: 'problem', listed: listed !== undefined, ...(listed ?? table.otherwise) };
}
