import type { Clock } from '../clock.js';
import type { BeepsBackend, PostReading } from './contract.js';
import { POST_PASSED } from './contract.js';
import { decodeEdges } from './edges.js';
import { edgesOf } from './play.js';

/**
 * The simulated appliance's speaker, heard as the front-panel board would hear it: a
 * pattern played becomes the speaker's edges, decoded like the board's. Each play is a
 * boot (the simulated server restarted and ran POST); the appliance plays the single beep
 * of a passing POST when it powers on.
 */
export class SimBeeps implements BeepsBackend {
  readonly kind = 'sim';
  private last: PostReading | null = null;
  private boots = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  async lastPost(): Promise<PostReading | null> {
    return this.last;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A boot whose POST beeps `pattern` (PARSE_FAILED when it is not one). */
  play(pattern: string = POST_PASSED): PostReading {
    const at = this.clock.now();
    const decoding = decodeEdges(edgesOf(pattern, at));
    this.boots++;
    this.last = { at, boot: `sim-${this.boots}`, decoding };
    for (const l of [...this.listeners]) l();
    return this.last;
  }
}
