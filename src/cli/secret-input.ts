import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { BackupKey, BackupSecret } from '../engine/index.js';
import { BackupError } from '../errors.js';

/**
 * The backup key's secret comes from the administrator: typed on a terminal without echo,
 * or, for scripts, on standard input (the passphrase on its first line, or one share a
 * line). Never from an argument (visible in ps and shell history) nor from a variable
 * (inherited by every child, and QKM_* names are settings).
 */
export const onTerminal = (): boolean => isatty(0);

/** Reads one line from the terminal with echo off; the prompt goes to stderr. */
export function askHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  // Echo off before the prompt shows: what is typed as soon as it appears is never echoed.
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(typed);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish();
          reject(new BackupError('SECRET_CANCELLED', 'Stopped at your request; nothing was changed.'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}

function stdinLines(): string[] {
  let text = '';
  try {
    text = readFileSync(0, 'utf8');
  } catch {
    // no standard input at all: the same as an empty one
  }
  return text.split(/\r?\n/);
}

const noneGiven = (what: 'passphrase' | 'shares'): BackupError => new BackupError('SECRET_MISSING', what === 'passphrase'
  ? 'No passphrase was given; type it on a terminal, or send it on standard input (its first line).'
  : 'No recovery shares were given; type them on a terminal, or send them on standard input (one share a line).');

/** A new passphrase: typed twice on a terminal, or the first line of standard input. */
export async function readNewPassphrase(): Promise<string> {
  if (!onTerminal()) {
    const first = stdinLines()[0] ?? '';
    if (!first) throw noneGiven('passphrase');
    return first;
  }
  const once = await askHidden('New backup passphrase: ');
  if (!once) throw noneGiven('passphrase');
  if ((await askHidden('The same passphrase again: ')) !== once) {
    throw new BackupError('PASSPHRASE_MISMATCH', 'The two passphrases typed differ; nothing was set up, so run the command again.');
  }
  return once;
}

/** What restore asks for: the passphrase, or M shares, of the key the backup names. */
export async function askBackupSecret(key: BackupKey): Promise<BackupSecret> {
  if (key.kind === 'passphrase') {
    const passphrase = onTerminal() ? await askHidden(`Passphrase of backup key ${key.id}: `) : (stdinLines()[0] ?? '');
    if (!passphrase) throw noneGiven('passphrase');
    return { passphrase };
  }
  const m = key.shares!.threshold;
  const shares: string[] = [];
  if (onTerminal()) {
    process.stderr.write(`This backup is sealed to backup key ${key.id}; give ${m} of its ${key.shares!.count} recovery shares.\n`);
    for (let i = 1; i <= m; i++) shares.push(await askHidden(`Share ${i} of ${m}: `));
  } else {
    shares.push(...stdinLines());
  }
  const given = shares.filter((s) => s.trim() !== '');
  if (given.length === 0) throw noneGiven('shares');
  return { shares: given };
}
