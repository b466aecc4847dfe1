import type { Command } from 'commander';
import type { KeystoreCommandDeps } from './keystore-commands.js';

/** What every group of commands gets from the program: its context and its action wrapper. */
export type CommandDeps = KeystoreCommandDeps;

export interface CommandGroup {
  /** The top-level commands (aliases included) the group defines or adds subcommands to. */
  commands: readonly string[];
  /** Loads the group's module and adds its commands to the program. */
  add(program: Command, deps: CommandDeps): Promise<void>;
}

/** A top-level command another group defined first (the table's order guarantees it). */
function defined(program: Command, name: string): Command {
  const command = program.commands.find((c) => c.name() === name);
  if (!command) throw new Error(`the command group of "${name}" must come first in the command table`);
  return command;
}

/**
 * Every group of qkmcmds commands, in the order `qkmcmds --help` lists them. A command
 * runs with only the groups that name it loaded: a top-level command with subcommands
 * from several modules (`keys`, `certs`) is named by each of them.
 */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { commands: ['keys', 'tickets', 'backup', 'restore', 'keystores', 'sync', 'check'], add: async (p, d) => (await import('./keystore-commands.js')).addKeystoreCommands(p, d) },
  { commands: ['hw', 'sim'], add: async (p, d) => (await import('./hw-commands.js')).addHwCommands(p, d) },
  { commands: ['certs', 'cert'], add: async (p, d) => void (await import('./cert-commands.js')).addCertCommands(p, d) },
  { commands: ['certs', 'cert'], add: async (p, d) => (await import('./exchange-commands.js')).addCertExchangeCommands(defined(p, 'certs'), d) },
  { commands: ['keys'], add: async (p, d) => (await import('./exchange-commands.js')).addKeyExchangeCommands(defined(p, 'keys'), d) },
  { commands: ['backup-key'], add: async (p, d) => (await import('./backup-key-commands.js')).addBackupKeyCommands(p, d) },
  { commands: ['key-service'], add: async (p, d) => (await import('./key-service-commands.js')).addKeyServiceCommands(p, d) },
  { commands: ['metrics'], add: async (p, d) => (await import('./metrics-commands.js')).addMetricsCommand(p, d) },
  // No command: the program's own action, with no command or an unknown one.
  { commands: [], add: async (p, d) => (await import('./console-command.js')).addConsole(p, d) },
  { commands: ['beeps'], add: async (p, d) => (await import('./beeps-commands.js')).addBeepsCommands(p, d) },
  { commands: ['update', 'rollback'], add: async (p, d) => (await import('./update-commands.js')).addUpdateCommands(p, d) },
  { commands: ['pair'], add: async (p, d) => (await import('./pair-commands.js')).addPairCommands(p, d) },
  { commands: ['audit'], add: async (p, d) => (await import('./audit-commands.js')).addAuditCommands(p, d) },
  { commands: ['status', 'status-token'], add: async (p, d) => (await import('./status-commands.js')).addStatusCommands(p, d) },
];

/**
 * The groups a command line needs: those naming its command, found as commander finds it
 * (past the program's own options, wherever they take a value); none for `--version`,
 * which commander answers before any command; every group for anything else (no command,
 * help, an unknown command or option), so the menu console, help and commander's
 * suggestions see them all.
 */
export function groupsFor(program: Command, args: readonly string[], groups: readonly CommandGroup[] = COMMAND_GROUPS): readonly CommandGroup[] {
  const command = commandOf(program, args);
  if (command === VERSION_ONLY) return [];
  const named = command === undefined ? [] : groups.filter((g) => g.commands.includes(command));
  return named.length > 0 ? named : groups;
}

const VERSION_ONLY = Symbol('version');

/** The first operand of the program's own options, as commander's parseOptions reads them. */
function commandOf(program: Command, args: readonly string[]): string | typeof VERSION_ONLY | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.length < 2 || !arg.startsWith('-')) return arg;
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = equals > 0 ? arg.slice(0, equals) : arg;
    const option = program.options.find((o) => o.short === flag || o.long === flag);
    // Unknown to the program (a subcommand's option, `--`, `-abc`): commander's to judge.
    if (!option) return undefined;
    if (equals > 0) {
      if (option.required) continue;
      return undefined;
    }
    if (option.long === '--version') return VERSION_ONLY;
    if (option.required) i++;
    else if (option.optional) return undefined;
  }
  return undefined;
}
