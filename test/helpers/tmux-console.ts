import { execFileSync } from 'node:child_process';
import { QKMCMDS } from './cli.js';

/**
 * `qkmcmds` (the menu console) in an 80x24 tmux pane, driven as a person drives it:
 * type a line, read the screen. A private tmux server per test file, so nobody else's
 * sessions are seen or disturbed.
 */
export class TmuxConsole {
  private readonly sock = `qkm-console-${process.pid}`;
  private sessions = 0;
  name = '';

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.sock, ...args], { encoding: 'utf8' });
  }

  /** Starts a console session on `dataDir`; its exit status is printed when it ends. */
  start(dataDir: string): void {
    this.run(`${process.execPath} ${QKMCMDS} --data-dir ${dataDir}; echo "[exit $?]"; sleep 120`);
  }

  /** Runs a shell command line in a new 80x24 pane (a terminal program on a serial line, say). */
  run(cmd: string): void {
    this.name = `console${++this.sessions}`;
    this.tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', this.name, cmd);
  }

  /** Types `text` and presses Enter. */
  type(text: string): void {
    if (text !== '') this.tmux('send-keys', '-t', this.name, '-l', text);
    this.tmux('send-keys', '-t', this.name, 'Enter');
  }

  /** What the person sees, with what scrolled away above it. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.name);
  }

  /** The visible 80x24 screen only. */
  visible(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name);
  }

  /** Waits until the screen, after the text it showed when called, matches `re` (at most 20 s). */
  async waitFor(re: RegExp, since = 0): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const text = this.screen();
      if (re.test(text.slice(since))) return text;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the console never showed ${re}; the screen:\n${this.screen()}`);
  }

  /** Types `text`, then waits for `re` to appear after it. */
  async answer(text: string, re: RegExp): Promise<string> {
    const since = this.screen().trimEnd().length;
    this.type(text);
    return this.waitFor(re, since);
  }

  /** The pane's processes (the shell running qkmcmds). */
  panePid(): number {
    return Number(this.tmux('display-message', '-p', '-t', this.name, '#{pane_pid}').trim());
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // no server left: nothing to clean
    }
  }
}
