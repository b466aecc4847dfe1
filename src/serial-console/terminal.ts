import { crlf, LineDiscipline } from './line-discipline.js';

/** The slice of serialport's stream the console uses. */
export interface ConsolePort {
  write(data: string): unknown;
  on(event: 'data', listener: (bytes: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * A terminal at the far end of a serial line, as the console sees it: text out (CR LF,
 * as a raw line needs), a keyboard per login, Ctrl-C for whatever runs, and word when
 * the port goes away (an unplugged adapter, a cable pulled from a USB-serial bridge).
 */
export class SerialTerminal {
  private keyboard: LineDiscipline | null = null;
  private interrupt: (() => void) | null = null;
  private endOfInput: (() => void) | null = null;
  private hungUp = false;
  private readonly goneListeners = new Set<() => void>();

  constructor(private readonly port: ConsolePort) {
    port.on('data', (bytes) => this.keyboard?.typed(bytes));
    port.on('close', () => {
      this.hungUp = true;
      this.keyboard?.hangUp();
      for (const l of [...this.goneListeners]) l();
    });
  }

  get gone(): boolean {
    return this.hungUp;
  }

  write(text: string): void {
    if (!this.hungUp) this.port.write(crlf(text));
  }

  /** A fresh keyboard for one login; the one before hears nothing more. */
  newKeyboard(): LineDiscipline {
    this.keyboard?.hangUp();
    const k = new LineDiscipline({
      echo: (text) => {
        if (!this.hungUp) this.port.write(text);
      },
      onInterrupt: () => {
        if (!this.interrupt) return false;
        this.interrupt();
        return true;
      },
      onEndOfInput: () => {
        if (!this.endOfInput) return false;
        this.endOfInput();
        return true;
      },
    });
    if (this.hungUp) k.hangUp();
    this.keyboard = k;
    return k;
  }

  /** What Ctrl-C does until the returned function is called (then it gives up the line again). */
  onInterrupt(action: () => void): () => void {
    this.interrupt = action;
    return () => {
      if (this.interrupt === action) this.interrupt = null;
    };
  }

  /** What Ctrl-D on an empty line does until the returned function is called (then it ends the login's input again). */
  onEndOfInput(action: () => void): () => void {
    this.endOfInput = action;
    return () => {
      if (this.endOfInput === action) this.endOfInput = null;
    };
  }

  onGone(listener: () => void): () => void {
    this.goneListeners.add(listener);
    if (this.hungUp) listener();
    return () => this.goneListeners.delete(listener);
  }
}
