import { QkmError } from '../errors.js';

/** What the console reads: standard input, or a serial line's discipline (src/serial-console). */
export interface TerminalInput {
  readonly isTTY?: boolean;
  setEncoding(encoding: BufferEncoding): unknown;
  setRawMode(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  off(event: 'data', listener: (chunk: string) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/**
 * The console's keyboard: one line at a time from standard input, which is a terminal
 * (SSH, the serial line, tmux) or a pipe. A password is read with the terminal's echo off.
 * When input ends (EOF, a closed pane, SIGHUP) every question still waiting, and every
 * later one, fails with CONSOLE_ENDED, so the session unwinds and applies nothing.
 */
export class LineInput {
  private readonly lines: string[] = [];
  private partial = '';
  private waiting?: { resolve: (line: string) => void; reject: (e: Error) => void };
  private ended = false;
  private hidden = false;
  private readonly onData = (chunk: string): void => this.take(chunk);

  constructor(
    private readonly input: TerminalInput,
    private readonly write: (text: string) => void,
  ) {
    input.setEncoding('utf8');
    input.on('data', this.onData);
    input.on('end', () => this.end());
  }

  /** Asks for a line; `current` is kept when the answer is empty (Enter). */
  async ask(prompt: string, current?: string): Promise<string> {
    this.write(current === undefined ? prompt : `${prompt}[${current}] `);
    const line = (await this.next()).trim();
    return line === '' && current !== undefined ? current : line;
  }

  /** A line typed without echo (on a terminal); nothing typed is ever printed. */
  async askHidden(prompt: string): Promise<string> {
    const tty = this.input.isTTY === true;
    this.write(prompt);
    if (tty && this.lines.length === 0) {
      this.hidden = true;
      this.input.setRawMode(true);
    }
    try {
      return await this.next();
    } finally {
      if (this.hidden) {
        this.hidden = false;
        this.input.setRawMode(false);
        this.write('\n');
      }
    }
  }

  /** Lends the keyboard to code that reads it by itself (the backup key's secret), then takes it back. */
  async lend<T>(work: () => Promise<T>): Promise<T> {
    this.input.off('data', this.onData);
    try {
      return await work();
    } finally {
      this.input.on('data', this.onData);
      this.input.resume();
    }
  }

  /** Ends the session's input: SIGHUP or SIGTERM, as EOF would. */
  end(): void {
    this.ended = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(ended());
  }

  close(): void {
    this.input.off('data', this.onData);
    this.input.pause();
  }

  private next(): Promise<string> {
    this.input.resume();
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.reject(ended());
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  private take(chunk: string): void {
    for (const ch of chunk) {
      if (this.hidden && (ch === '\u0003' || ch === '\u0004')) {
        this.end();
        return;
      }
      if (ch === '\n' || (this.hidden && ch === '\r')) {
        this.lines.push(this.partial.replace(/\r$/, ''));
        this.partial = '';
      } else if (this.hidden && (ch === '\u007f' || ch === '\b')) {
        this.partial = [...this.partial].slice(0, -1).join('');
      } else if (!this.hidden || ch >= ' ') {
        this.partial += ch;
      }
    }
    const w = this.waiting;
    const line = this.lines.shift();
    if (w && line !== undefined) {
      this.waiting = undefined;
      w.resolve(line);
    } else if (line !== undefined) {
      this.lines.unshift(line);
    }
  }
}

const ended = () => new QkmError('CONSOLE_ENDED', 'The console session ended before q; nothing was changed.');
