import { DriverError } from '../errors.js';
import type { BeepEdge } from './contract.js';

/** How a BIOS paces its beeps (milliseconds); this is a common PC speaker tempo. */
export interface Tempo {
  short: number;
  long: number;
  /** Between beeps of one group. */
  within: number;
  /** Between groups. */
  group: number;
  continuous: number;
  /** How many beeps "repeating short" sounds. */
  repeatingShort: number;
}

export const NORMAL_TEMPO: Tempo = { short: 150, long: 700, within: 150, group: 600, continuous: 5_000, repeatingShort: 16 };

/** One beep: long or short. */
type Beep = 'short' | 'long';

/** A pattern as the decoder prints it, back into groups of beeps; null when it is not one. */
function groupsOf(pattern: string, tempo: Tempo): Beep[][] | null {
  const p = pattern.trim().toLowerCase().replace(/\s+/g, ' ');
  if (p === 'repeating short') return [Array<Beep>(tempo.repeatingShort).fill('short')];
  if (/^[1-9]\d?(-[1-9]\d?)*$/.test(p)) return p.split('-').map((n) => Array<Beep>(Number(n)).fill('short'));
  if (/^([1-9]\d? (long|short) ?)+$/.test(p)) {
    const beeps = [...p.matchAll(/(\d+) (long|short)/g)].flatMap(([, n, kind]) => Array<Beep>(Number(n)).fill(kind as Beep));
    return [beeps];
  }
  return null;
}

/**
 * The speaker's edges for a pattern, from `atMs` on: what a board would report for a
 * POST that beeps it. The simulator plays patterns through this, and tests use it.
 */
export function edgesOf(pattern: string, atMs = 0, tempo: Tempo = NORMAL_TEMPO): BeepEdge[] {
  if (pattern.trim().toLowerCase() === 'continuous') return [{ atMs, on: true }, { atMs: atMs + tempo.continuous, on: false }];
  const groups = groupsOf(pattern, tempo);
  if (!groups) {
    throw new DriverError('PARSE_FAILED', `"${pattern}" is not a beep pattern; write it as the tables do: 1, 1-1-3, 1 long 2 short, continuous or repeating short.`, { pattern });
  }
  const edges: BeepEdge[] = [];
  let t = atMs;
  groups.forEach((g, gi) => {
    if (gi > 0) t += tempo.group - tempo.within;
    for (const beep of g) {
      edges.push({ atMs: t, on: true });
      t += beep === 'long' ? tempo.long : tempo.short;
      edges.push({ atMs: t, on: false });
      t += tempo.within;
    }
  });
  return edges;
}
