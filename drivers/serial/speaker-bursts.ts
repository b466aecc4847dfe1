import type { Clock, TimerHandle } from '../clock.js';
import type { SpeakerEdge } from './messages.js';

/**
 * Gathers the speaker's edges, which arrive a dozen a frame, into one pattern: every edge
 * until the speaker has been quiet for `quietMs` (a POST pattern's gaps are under a
 * second; the beeps decoder wants one boot's edges in one call). Edges come in the shape
 * drivers/beeps takes (`{ atMs, on }`, the board's clock).
 */
export function gatherSpeakerPatterns(
  subscribe: (l: (edges: SpeakerEdge[]) => void) => () => void,
  clock: Clock,
  onPattern: (edges: SpeakerEdge[]) => void,
  quietMs = 3_000,
): () => void {
  let pending: SpeakerEdge[] = [];
  let timer: TimerHandle | null = null;
  const flush = () => {
    timer = null;
    const edges = pending;
    pending = [];
    if (edges.length) onPattern(edges);
  };
  const unsubscribe = subscribe((edges) => {
    pending.push(...edges);
    if (timer) clock.clearTimeout(timer);
    timer = clock.setTimeout(flush, quietMs);
  });
  return () => {
    unsubscribe();
    if (timer) clock.clearTimeout(timer);
    timer = null;
  };
}
