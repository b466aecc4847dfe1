import { Command, CommanderError } from 'commander';
import { realWorld } from '../engine/world.js';
import type { AuditLog } from '../logs/audit.js';
import { runAudited } from './audited-command.js';
import { groupsFor } from './command-table.js';
import { type Context, type GlobalOptions, VERSION, loadContext, runCommand } from './context.js';

const PROGRAM = 'qkmcmds';
const ref: { ctx?: Context } = {};

const program = new Command(PROGRAM)
  .description('Administer the qkm key-manager appliance; with no command, the administrator\'s menu console (user akmadmin).')
  .version(VERSION, '-v, --version', 'print the qkm version')
  .option('--config <file>', 'a config file applied over the embedded config/qkm.toml')
  .option('--data-dir <dir>', 'the data directory (overrides [paths] data_dir)')
  // The menu console's (console-command.ts); here because commander reads them wherever they stand, whichever command runs.
  .option('-E, --licence', 'show the licence and the date it was accepted')
  .option('-D, --trace <on|off>', 'trace logging on or off (kept; a running qkmd follows it within a second)')
  .option('-L, --capture-logs', 'write qkm_logcapture_<SN><date><time>.tgz (logs, configuration, hardware tools\' output) without stopping the key server')
  .showHelpAfterError('(run qkmcmds --help for the commands)')
  .exitOverride();

/** `createDataDir`: only a restore may make a data directory; every other command needs one. */
function context(o: { createDataDir?: boolean } = {}): Context {
  ref.ctx ??= loadContext(PROGRAM, program.opts<GlobalOptions>(), realWorld, o);
  return ref.ctx;
}

/** Wraps an action: errors become one sentence, the keystore is always closed, and the act is audited. */
function action<A extends unknown[]>(body: (...args: A) => Promise<number | void> | number | void) {
  return (...args: A) => runCommand(PROGRAM, ref, () => runAudited(args, auditLog, () => body(...args)));
}

/** The audit log, if the command got as far as a context (a bad --config never does). */
function auditLog(): AuditLog | undefined {
  try {
    return context().audit;
  } catch {
    return undefined;
  }
}

// Only the modules of the command asked for: each call starts in a fraction of the time.
for (const group of groupsFor(program, process.argv.slice(2))) await group.add(program, { context, action });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Usage mistakes: commander already printed its one line and the help hint.
  process.exitCode = e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 2) : 70;
}
