import type { Command } from 'commander';
import { licenceAcceptedAt } from '../admin/eula.js';
import { isQkmError } from '../errors.js';
import { LICENCE_TEXT } from '../console/licence.js';
import { LineInput } from '../console/line-input.js';
import { runConsole } from '../console/session.js';
import { engineOf } from './command-engine.js';
import type { HwCommandDeps } from './hw-commands.js';
import { terminalDiskSentence, terminalSentence } from './words.js';
import { captureLogsCommand, switchTraceLogging } from './log-commands.js';

const ENDING_SIGNALS = ['SIGHUP', 'SIGTERM', 'SIGINT'] as const;
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/**
 * `qkmcmds` with no subcommand: the administrator's menu console (src/console); with -E,
 * the licence and the date it was accepted.
 */
export function addConsole(program: Command, deps: HwCommandDeps): void {
  const engine = engineOf(deps.context);
  const menuConsole = deps.action(async (o: { licence?: boolean }) => {
    const ctx = deps.context();
    const dataDir = ctx.config.paths.data_dir;
    if (o.licence) {
      out(LICENCE_TEXT);
      out();
      const at = licenceAcceptedAt(dataDir);
      out(at ? `Accepted on ${at}.` : 'Not accepted yet: qkmcmds shows it for acceptance at its first run.');
      return;
    }
    const input = new LineInput(process.stdin, (text) => void process.stdout.write(text));
    // A closed terminal, a lost SSH session or Ctrl-C ends the session as EOF does:
    // nothing is applied, and the key service is started again.
    const end = (): void => input.end();
    for (const signal of ENDING_SIGNALS) process.on(signal, end);
    try {
      return await runConsole({
        dataDir, config: ctx.config, world: ctx.world, log: ctx.log, audit: ctx.audit, serial: () => ctx.serial,
        openEngine: engine, input, say: out,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        sentence: (e) => (isQkmError(e) ? terminalSentence(e) : terminalDiskSentence(e, dataDir)),
      });
    } finally {
      input.close();
      for (const signal of ENDING_SIGNALS) process.off(signal, end);
    }
  });

  const trace = deps.action((value: string) => switchTraceLogging(deps.context(), value));
  const capture = deps.action(() => captureLogsCommand(deps.context(), engine));

  // Its options (-E, -D, -L) are declared with the program's own, in qkmcmds.ts.
  program
    // With an action of its own, commander hands a misspelt command to it as an argument.
    .allowExcessArguments()
    .action(async (o: { licence?: boolean; trace?: string; captureLogs?: boolean }, cmd: Command) => {
      // commander's own words for it (with its "Did you mean"): a usage error, exit status 2.
      if (cmd.args.length > 0) (cmd as unknown as { unknownCommand(): never }).unknownCommand();
      if (o.trace !== undefined) return trace(o.trace);
      if (o.captureLogs) return capture();
      await menuConsole(o);
    });
}
