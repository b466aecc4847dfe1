import { CONSOLE_USER } from '../admin/console-password.js';
import { isQkmError } from '../errors.js';
import { LineInput } from '../console/line-input.js';
import { type ConsoleScope, logIn, runConsole } from '../console/session.js';
import type { LineDiscipline } from './line-discipline.js';
import type { SerialTerminal } from './terminal.js';

/** What one command typed at the console's prompt has of the line while it runs. */
export interface CommandIo {
  /** Its output (standard output and error), for the terminal. */
  write(text: string): void;
  /** Each line typed while it runs (a confirmation it asks for). */
  onLine(listener: (line: string) => void): void;
  /** Ctrl-D on an empty line: its input ends. */
  onEnd(listener: () => void): void;
  /** Ctrl-C was typed, or the line hung up: the command should stop. */
  onStop(listener: (why: 'interrupt' | 'hangup') => void): void;
}

/** A serial console's session: the menu console's scope less its keyboard and screen, which the line gives. */
export interface SerialScope extends Omit<ConsoleScope, 'input' | 'say'> {
  /** The port's path, for the audit lines. */
  port: string;
  /** Runs one qkmcmds command (its words, without the program's name); resolves with its exit status. */
  runCommand(words: string[], io: CommandIo): Promise<number | null>;
}

const HELP = [
  'Type a qkmcmds command without "qkmcmds" (keys status, tickets, hw status, backup,',
  '... as in the manual; --help after any of them), or:',
  '  menu     the administrator\'s menu (qkmcmds with no command)',
  '  logout   end this session (also: exit, Ctrl-D)',
  'Ctrl-C stops a command; Ctrl-D on an empty line ends what it reads (its standard input).',
];

/**
 * Logins on a serial line until it goes away: Enter, akmadmin's password (the menu
 * console's own check, back-off and audit), then a prompt that runs the menu console or
 * qkmcmds commands on the line; logout returns to the login.
 */
export async function serveLogins(term: SerialTerminal, s: SerialScope): Promise<void> {
  while (!term.gone) {
    try {
      await oneLogin(term, s);
    } catch (e) {
      if (isQkmError(e) && e.code === 'CONSOLE_ENDED') continue;
      s.log.error({ err: e, port: s.port }, 'the serial console session failed');
      term.write(`${s.sentence(e) ?? 'The console failed; see the log.'}\n`);
    }
  }
}

async function oneLogin(term: SerialTerminal, base: SerialScope): Promise<void> {
  const keyboard = term.newKeyboard();
  const input = new LineInput(keyboard, (text) => term.write(text));
  const s: ConsoleScope = { ...base, input, say: (line = '') => term.write(`${line}\n`) };
  try {
    s.say();
    s.say(`qkm key manager ${base.serial()}, serial console on ${base.port}`);
    await input.ask('Press Enter to log in. ');
    try {
      await logIn(s);
    } catch (e) {
      if (!isQkmError(e) || e.code !== 'CONSOLE_LOGIN_FAILED') throw e;
      s.say(s.sentence(e) ?? e.message);
      return;
    }
    base.log.info({ audit: 'serial-console-session', user: CONSOLE_USER, port: base.port }, 'serial console session started');
    await prompt(s, base, term, keyboard);
    s.say('Logged out.');
    base.log.info({ audit: 'serial-console-logout', user: CONSOLE_USER, port: base.port }, 'serial console session ended');
  } finally {
    input.close();
  }
}

/** The logged-in prompt, until logout (or Ctrl-D, or the line goes). */
async function prompt(s: ConsoleScope, base: SerialScope, term: SerialTerminal, keyboard: LineDiscipline): Promise<void> {
  for (;;) {
    const words = splitWords(await s.input.ask(`${CONSOLE_USER}@${s.config.server.hostname}> `));
    if (words[0] === 'qkmcmds') words.shift();
    const [first] = words;
    if (first === undefined) continue;
    if (first === 'logout' || first === 'exit') return;
    if (first === 'help') {
      for (const line of HELP) s.say(line);
    } else if (first === 'menu' && words.length === 1) {
      await menu(s, term);
    } else {
      await s.input.lend(() => runOnLine(base, term, keyboard, words));
    }
  }
}

/** The menu console on the line; Ctrl-C leaves it applying nothing, as it does on a local terminal. */
async function menu(s: ConsoleScope, term: SerialTerminal): Promise<void> {
  const release = term.onInterrupt(() => s.input.end());
  try {
    await runConsole(s, { loggedIn: true });
  } catch (e) {
    // A hang-up ends the session; Ctrl-C (or x) only the menu.
    if (term.gone) throw e;
    s.say(s.sentence(e) ?? 'The menu failed; see the log.');
  } finally {
    release();
  }
}

/** One command with the line lent to it: its output on the terminal, lines typed as its input. */
async function runOnLine(base: SerialScope, term: SerialTerminal, keyboard: LineDiscipline, words: string[]): Promise<void> {
  const lineListeners: ((line: string) => void)[] = [];
  const endListeners: (() => void)[] = [];
  const stopListeners: ((why: 'interrupt' | 'hangup') => void)[] = [];
  let partial = '';
  const onData = (chunk: string | Buffer) => {
    partial += chunk.toString();
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const line = partial.slice(0, nl + 1);
      partial = partial.slice(nl + 1);
      for (const l of lineListeners) l(line);
    }
  };
  keyboard.on('data', onData);
  const stop = (why: 'interrupt' | 'hangup') => {
    for (const l of stopListeners) l(why);
  };
  const releaseInterrupt = term.onInterrupt(() => stop('interrupt'));
  const releaseGone = term.onGone(() => stop('hangup'));
  const releaseEnd = term.onEndOfInput(() => {
    for (const l of endListeners) l();
  });
  try {
    const status = await base.runCommand(words, {
      write: (text) => term.write(text),
      onLine: (l) => lineListeners.push(l),
      onEnd: (l) => endListeners.push(l),
      onStop: (l) => stopListeners.push(l),
    });
    base.log.info({ audit: 'serial-console-command', port: base.port, command: words[0], status }, 'serial console command run');
  } finally {
    keyboard.off('data', onData);
    releaseInterrupt();
    releaseGone();
    releaseEnd();
  }
}

/** A command line's words: split at spaces, with "double" or 'single' quotes around a word that has some. */
export function splitWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}
