import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Longest line the console takes: a command line or an answer, never a paste of a file. */
const MAX_LINE = 1024;
const ERASE = new Set(['\u007f', '\b']);

export interface DisciplineOptions {
  /** Echo and erase sequences for the far terminal (already in the line's CR LF form). */
  echo: (text: string) => void;
  /** Ctrl-C in cooked mode; true when it was taken (a command stopped). */
  onInterrupt?: () => boolean;
  /** Ctrl-D on an empty line; true when it was taken (a command's input ended), else it ends this input. */
  onEndOfInput?: () => boolean;
}

/**
 * What the kernel's tty layer does for a terminal that a serial port opened raw (as
 * serialport opens it) does not: in cooked mode, echo what is typed, erase with
 * Backspace or Ctrl-U, end a line at CR or LF (a terminal sends one or both), Ctrl-C
 * and Ctrl-D; in raw mode (a password), pass keys on unechoed for LineInput to read.
 * It is a readable stream with `isTTY` and `setRawMode`, so the menu console's
 * LineInput reads it as it reads a local terminal. One per login: Ctrl-D or a hang-up
 * ends it.
 */
export class LineDiscipline extends Readable {
  readonly isTTY = true;
  private raw = false;
  private line = '';
  private afterCr = false;
  /** Inside an escape sequence (an arrow or function key), which a line console ignores. */
  private escape: 'none' | 'esc' | 'csi' = 'none';
  private readonly decoder = new StringDecoder('utf8');
  private ended = false;

  constructor(private readonly o: DisciplineOptions) {
    super();
  }

  override _read(): void {}

  setRawMode(on: boolean): this {
    this.raw = on;
    return this;
  }

  /** The far end hung up (the port went away): input ends as EOF would. */
  hangUp(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }

  /** Bytes typed on the terminal. */
  typed(bytes: Buffer): void {
    if (this.ended) return;
    for (const ch of this.decoder.write(bytes)) {
      if (this.ended) return;
      this.key(ch);
    }
  }

  private key(ch: string): void {
    if (this.skipsEscape(ch)) return;
    // A terminal may end a line with CR LF: the LF belongs to the CR's line.
    const wasCr = this.afterCr;
    this.afterCr = ch === '\r';
    if (ch === '\n' && wasCr) return;
    if (this.raw) {
      this.push(ch);
      return;
    }
    if (ch === '\r' || ch === '\n') {
      this.o.echo('\r\n');
      const line = this.line;
      this.line = '';
      this.push(`${line}\n`);
    } else if (ERASE.has(ch)) {
      if (this.line === '') return;
      this.line = [...this.line].slice(0, -1).join('');
      this.o.echo('\b \b');
    } else if (ch === '\u0015') {
      this.o.echo('\b \b'.repeat([...this.line].length));
      this.line = '';
    } else if (ch === '\u0003') {
      this.o.echo('^C\r\n');
      this.line = '';
      // Unless something running takes it, Ctrl-C gives up the line: an empty one, asked again.
      if (!this.o.onInterrupt?.()) this.push('\n');
    } else if (ch === '\u0004') {
      if (this.line === '' && !this.o.onEndOfInput?.()) this.hangUp();
    } else if (ch >= ' ' && this.line.length < MAX_LINE) {
      this.line += ch;
      this.o.echo(ch);
    }
  }

  /** True for the keys of an escape sequence (ESC [ ... final byte), which are dropped. */
  private skipsEscape(ch: string): boolean {
    if (this.escape === 'esc') {
      this.escape = ch === '[' || ch === 'O' ? 'csi' : 'none';
      return true;
    }
    if (this.escape === 'csi') {
      if (ch >= '@' && ch <= '~') this.escape = 'none';
      return true;
    }
    if (ch === '\u001b') {
      this.escape = 'esc';
      return true;
    }
    return false;
  }
}

/** Text for a raw line: each newline as CR LF, since no tty layer adds the CR. */
export function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
