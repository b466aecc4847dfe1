import type { BeepDecoding, BeepEdge, Burst } from './contract.js';
import { patternOf } from './pattern.js';

/** A speaker switched on this briefly is a glitch on the line, not a beep. */
const MIN_BURST_MS = 20;

export interface EdgeOptions {
  /** When the speaker was last known on without an off edge: the burst is taken to last until here (default: the last edge). */
  endMs?: number;
}

/**
 * The speaker's edges as the front-panel board reports them, decoded into the same
 * shape as a recording. Edges may come unsorted or repeated (a board that resends after
 * a lost acknowledgement): only changes count, in time order, measured from the first.
 */
export function decodeEdges(edges: readonly BeepEdge[], opts: EdgeOptions = {}): BeepDecoding {
  const sorted = edges.filter((e) => Number.isFinite(e.atMs)).sort((a, b) => a.atMs - b.atMs);
  const t0 = sorted[0]?.atMs ?? 0;
  const bursts: Burst[] = [];
  let onAt: number | null = null;
  for (const e of sorted) {
    if (e.on && onAt === null) onAt = e.atMs;
    else if (!e.on && onAt !== null) {
      if (e.atMs - onAt >= MIN_BURST_MS) bursts.push({ startMs: onAt - t0, endMs: e.atMs - t0 });
      onAt = null;
    }
  }
  const end = opts.endMs ?? sorted[sorted.length - 1]?.atMs;
  if (onAt !== null && end !== undefined && end - onAt >= MIN_BURST_MS) bursts.push({ startMs: onAt - t0, endMs: end - t0 });
  return patternOf({ bursts, clarity: 1, pitchHz: null });
}
