import { Command } from 'commander';
import os from 'node:os';
import type { AuditLog } from '../logs/audit.js';
import type { AuditOutcome } from '../logs/audit-chain.js';
import { isQkmError } from '../errors.js';

/** Commands that only read: nothing to audit. */
const READ_ONLY = new Set([
  'keys status', 'tickets', 'keystores', 'keystores list', 'hw status', 'certs list', 'backup-key status',
  'pair status', 'key-service status', 'audit verify', 'beeps decode', 'update status', 'certs partners',
]);

/**
 * Where a command's stdout must not wait for the audit entry: it waits for its own output
 * to be written (the recovery shares, shown once) and would never finish.
 */
const OUTPUT_NOT_HELD = new Set(['backup-key init']);

/** Writes what stdout holds so far, in order, while the hold goes on; a no-op when nothing is held. */
let showHeld: () => void = () => {};

/**
 * A question the command waits on (load the CD, which drive): it must be seen now, so it
 * is written at once, after what the command said before it. What comes after the answer
 * is held as before, so success is still reported only once the audit entry is on disk.
 */
export function askNow(line: string): void {
  showHeld();
  process.stdout.write(`${line}\n`);
  showHeld();
}

let notes: Record<string, unknown> = {};

/** What a command adds to its audit entry (names, counts, serials; never a secret). */
export function noteAudit(details: Record<string, unknown>): void {
  notes = { ...notes, ...details };
}

/** `keys generate`: the command's words after the program, from commander's own Command. */
export function commandName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Runs a qkmcmds command body and records it in the audit log: what was asked (the
 * command, its arguments and options: secrets are never arguments), by whom (the
 * system user), and how it ended. The entry is on disk before the command reports
 * success: its standard output is held until then, and a failed audit write is the
 * command's failure (its output is shown all the same, since the action was done).
 */
export async function runAudited(
  args: unknown[],
  audit: () => AuditLog | undefined,
  body: () => Promise<number | void> | number | void,
): Promise<number | void> {
  const cmd = args[args.length - 1];
  const name = cmd instanceof Command ? commandName(cmd) : '';
  if (name === '' || READ_ONLY.has(name)) return body();
  const asked = { args: (cmd as Command).args, options: (cmd as Command).opts() };
  notes = {};
  const release = OUTPUT_NOT_HELD.has(name) ? () => {} : holdStdout();
  const record = (outcome: AuditOutcome, extra: Record<string, unknown>) => {
    audit()?.record({ action: name, outcome, actor: systemUser(), details: { ...asked, ...notes, ...extra } });
  };
  try {
    let code: number | void;
    try {
      code = await body();
    } catch (e) {
      try {
        record(isQkmError(e) ? 'refused' : 'failed', { error: isQkmError(e) ? e.code : String((e as Error)?.message ?? e) });
      } catch {
        // The command's own failure is the one to tell; the log has the audit's.
      }
      throw e;
    }
    record(code ? 'failed' : 'done', code ? { exitStatus: code } : {});
    return code;
  } finally {
    release();
  }
}

function systemUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Keeps what is written to stdout until the returned function is called, then writes it in order. */
function holdStdout(): () => void {
  const stdout = process.stdout;
  const write = stdout.write;
  const held: unknown[][] = [];
  stdout.write = ((...a: unknown[]) => {
    held.push(a);
    return true;
  }) as typeof stdout.write;
  const flush = () => {
    for (const a of held.splice(0)) (write as (...x: unknown[]) => boolean).apply(stdout, a);
  };
  showHeld = flush;
  return () => {
    stdout.write = write;
    showHeld = () => {};
    flush();
  };
}
