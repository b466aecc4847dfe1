import type { Clock } from '../clock.js';
import type { BeepsBackend, PostReading } from '../beeps/contract.js';
import { decodeEdges } from '../beeps/edges.js';
import type { PanelBoardLine } from './panel-line.js';
import { gatherSpeakerPatterns } from './speaker-bursts.js';

/**
 * The beeps family on the front-panel board: the speaker's edges the board reports at
 * power-on, gathered until the speaker has been quiet a while, decoded as a recording's
 * bursts would be. Each pattern heard is one boot of the server.
 */
export class BoardBeeps implements BeepsBackend {
  readonly kind = 'serial-board';
  private last: PostReading | null = null;
  private heard = 0;
  private readonly listeners = new Set<() => void>();
  private readonly stop: () => void;

  constructor(private readonly line: PanelBoardLine, private readonly clock: Clock, quietMs?: number) {
    this.stop = gatherSpeakerPatterns((l) => line.onSpeakerEdges(l), clock, (edges) => this.pattern(edges), quietMs);
  }

  get deviceName(): string {
    return this.line.device;
  }

  async lastPost(): Promise<PostReading | null> {
    return this.last;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.stop();
  }

  private pattern(edges: { atMs: number; on: boolean }[]): void {
    const decoding = decodeEdges(edges);
    if (decoding.pattern === null) return;
    const at = this.clock.now();
    this.last = { at, boot: `board-${at}-${++this.heard}`, decoding };
    for (const l of [...this.listeners]) l();
  }
}
