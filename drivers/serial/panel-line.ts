import type { Clock } from '../clock.js';
import { FrontPanelBoard } from './board.js';
import type { ButtonId, SpeakerEdge } from './messages.js';
import type { SerialBinding } from './transport.js';

export interface ButtonPress {
  button: ButtonId;
  pressed: boolean;
  /** On the board's clock (ms since it started): only differences mean anything. */
  atMs: number;
}

/**
 * The one serial line to the front-panel board, shared by what uses the board: the
 * LEDs, the speaker (POST beeps) and the buttons. The LED driver's restart starts a new
 * session on the line (the old port closed first); listeners of the speaker and the
 * buttons carry over to it, so a restart of the LEDs never deafens the others.
 */
export class PanelBoardLine {
  private board: FrontPanelBoard | null = null;
  private readonly buttonListeners = new Set<(b: ButtonPress) => void>();
  private readonly edgeListeners = new Set<(edges: SpeakerEdge[]) => void>();

  constructor(private readonly o: { binding: SerialBinding; path: string; baudRate: number; clock: Clock }) {}

  /** The board's session, opened on first use. */
  current(): FrontPanelBoard {
    return this.board ?? this.fresh();
  }

  /** A new session on the line, the old one closed. */
  fresh(): FrontPanelBoard {
    this.board?.close().catch(() => {});
    const board = new FrontPanelBoard({ binding: this.o.binding, path: this.o.path, baudRate: this.o.baudRate, clock: this.o.clock });
    board.onButton((b) => {
      for (const l of [...this.buttonListeners]) l(b);
    });
    board.onSpeakerEdges((edges) => {
      for (const l of [...this.edgeListeners]) l(edges);
    });
    this.board = board;
    return board;
  }

  onButton(listener: (b: ButtonPress) => void): () => void {
    this.buttonListeners.add(listener);
    return () => this.buttonListeners.delete(listener);
  }

  onSpeakerEdges(listener: (edges: SpeakerEdge[]) => void): () => void {
    this.edgeListeners.add(listener);
    return () => this.edgeListeners.delete(listener);
  }

  get device(): string {
    return this.current().device;
  }

  async close(): Promise<void> {
    await this.board?.close();
    this.board = null;
  }
}
