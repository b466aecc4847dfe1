import type { BeepDecoding, Burst } from './contract.js';

/**
 * Tone bursts in, the pattern out, whatever heard them (a recording or the board's
 * edges). Only ratios of durations are trusted, not absolute timings, because BIOSes
 * beep at different tempos: a gap class starts where the next longer gap is nearly
 * twice as long, and a long beep is at least twice a short one.
 */

/** A single tone this long (or longer) is the "continuous" code. */
export const CONTINUOUS_MS = 3_000;
/** This many equal beeps in one group is "repeating short" rather than a count anyone means. */
const REPEATING_SHORT_MIN = 12;
/** With no short beep to compare with, a beep this long is long. */
const LONG_ALONE_MS = 600;
/** With only two classes of gap, a pause this long between equal pieces means the code repeats. */
const REPEAT_PAUSE_MS = 1_500;
const GAP_CLASS_RATIO = 1.8;
const LONG_RATIO = 2;

export interface PatternInput {
  bursts: readonly Burst[];
  /** 0 to 1: how clearly the tone stood out (1 for edges, which have no noise). */
  clarity: number;
  pitchHz: number | null;
}

/** The boundaries between classes of values: a geometric midpoint wherever the next value jumps by `ratio`. */
function classBounds(values: readonly number[], ratio: number): number[] {
  const s = [...values].sort((a, b) => a - b);
  const bounds: number[] = [];
  for (let i = 0; i + 1 < s.length; i++) {
    if (s[i + 1]! >= s[i]! * ratio) bounds.push(Math.sqrt(Math.max(1, s[i]!) * s[i + 1]!));
  }
  return bounds;
}

/** Coefficient of variation of one class of values (0 for fewer than two). */
function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return mean > 0 ? sd / mean : 0;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round2 = (v: number) => Math.round(v * 100) / 100;

interface Shape {
  long: boolean[];
  /** Gaps (between burst i and i+1) that separate groups. */
  groupGap: boolean[];
}

/** One stretch of bursts (a whole recording, or one repetition of it) in the tables' words. */
function render(from: number, to: number, shape: Shape): string {
  const anyLong = shape.long.some(Boolean);
  if (anyLong) {
    const runs: string[] = [];
    for (let i = from; i < to; ) {
      let j = i;
      while (j < to && shape.long[j] === shape.long[i]) j++;
      runs.push(`${j - i} ${shape.long[i] ? 'long' : 'short'}`);
      i = j;
    }
    return runs.join(' ');
  }
  const groups: number[] = [1];
  for (let i = from; i + 1 < to; i++) {
    if (shape.groupGap[i]) groups.push(1);
    else groups[groups.length - 1]!++;
  }
  if (groups.length === 1 && groups[0]! >= REPEATING_SHORT_MIN) return 'repeating short';
  return groups.join('-');
}

const isSuffix = (part: string, whole: string) => part !== whole && (whole.endsWith(`-${part}`) || whole.endsWith(` ${part}`));
const isPrefix = (part: string, whole: string) => part !== whole && (whole.startsWith(`${part}-`) || whole.startsWith(`${part} `));

interface Repetition {
  pattern: string;
  segments: number;
  /** Share of segments that are the pattern or a cut-off piece of it at the recording's ends. */
  agreement: number;
  whole: number;
}

/** Splits at the `sep` gaps and asks whether every piece is one pattern (the ends may be cut off). */
function repetition(bursts: readonly Burst[], sep: boolean[], shape: Shape): Repetition {
  const starts = [0, ...sep.flatMap((s, i) => (s ? [i + 1] : []))];
  const pieces = starts.map((from, k) => render(from, starts[k + 1] ?? bursts.length, shape));
  const counts = new Map<string, number>();
  for (const p of pieces) counts.set(p, (counts.get(p) ?? 0) + 1);
  const [pattern] = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0].length - a[0].length)[0]!;
  let agree = 0;
  pieces.forEach((p, k) => {
    if (p === pattern || (k === 0 && isSuffix(p, pattern)) || (k === pieces.length - 1 && isPrefix(p, pattern))) agree++;
  });
  return { pattern, segments: pieces.length, agreement: agree / pieces.length, whole: counts.get(pattern)! };
}

const NONE: Omit<BeepDecoding, 'pitchHz' | 'bursts'> = { pattern: null, repeating: false, repetitions: 0, confidence: 0 };

/** Groups bursts into the pattern, with how sure it is. */
export function patternOf(inp: PatternInput): BeepDecoding {
  const bursts = [...inp.bursts].sort((a, b) => a.startMs - b.startMs);
  const base = { pitchHz: inp.pitchHz, bursts };
  if (bursts.length === 0) return { ...NONE, ...base };
  const durations = bursts.map((b) => b.endMs - b.startMs);
  if (durations.some((d) => d >= CONTINUOUS_MS)) {
    return { pattern: 'continuous', repeating: false, repetitions: 1, confidence: round2(inp.clarity), ...base };
  }
  const gaps = bursts.slice(1).map((b, i) => b.startMs - bursts[i]!.endMs);

  const longBounds = classBounds(durations, LONG_RATIO);
  const longFrom = longBounds[0] ?? (Math.min(...durations) >= LONG_ALONE_MS ? 0 : Infinity);
  const long = durations.map((d) => d > longFrom);
  const gapBounds = classBounds(gaps, GAP_CLASS_RATIO);
  const groupFrom = gapBounds[0] ?? Infinity;
  const shape: Shape = { long, groupGap: gaps.map((g) => g > groupFrom) };

  // The longest gaps may separate repetitions of one pattern rather than its groups.
  let rep: Repetition | null = null;
  if (gapBounds.length > 0) {
    const top = gapBounds[gapBounds.length - 1]!;
    const sep = gaps.map((g) => g > top);
    const candidate = repetition(bursts, sep, {
      long,
      // Below the repetition gaps, only the gap classes under the top one separate groups.
      groupGap: gaps.map((g) => g > groupFrom && g <= top),
    });
    // With three gap classes the longest is plainly a pause between repetitions; with two, the
    // pieces could be groups (2-2-2) or one code heard again (2, 2, 2): only a long pause says which.
    const distinct = gapBounds.length >= 2 || Math.min(...gaps.filter((g) => g > top)) >= REPEAT_PAUSE_MS;
    if (distinct && candidate.agreement === 1 && candidate.segments >= 2 && (candidate.whole >= 2 || gapBounds.length >= 2)) rep = candidate;
  }

  const pattern = rep ? rep.pattern : render(0, bursts.length, shape);
  // Regularity: each class of beep length and of gap should be of one length; the first and
  // last beeps may be cut off by the recording, so they do not count against it.
  const inner = durations.slice(1, -1);
  const kinds = [inner.filter((_, i) => long[i + 1]), inner.filter((_, i) => !long[i + 1])];
  const bounds = [0, ...gapBounds, Infinity];
  const gapClasses = bounds.slice(1).map((hi, k) => gaps.filter((g) => g > bounds[k]! && g <= hi));
  const worst = Math.max(0, ...[...kinds, ...gapClasses].map(spread));
  const regularity = clamp(1 - 2 * worst, 0.2, 1);
  const agreement = rep ? rep.agreement : 1;
  return {
    pattern,
    repeating: rep !== null,
    repetitions: rep ? rep.segments : 1,
    confidence: round2(clamp(inp.clarity, 0, 1) * regularity * agreement),
    ...base,
  };
}
