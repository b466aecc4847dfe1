import { Command } from 'commander';
import { PACKAGE_ROOT } from '../config/config.js';
import { realWorld } from '../engine/index.js';
import { runLauncher } from '../update/slots/launcher.js';
import { type Context, type GlobalOptions, loadContext, runCommand } from './context.js';

const PROGRAM = 'qkm-launcher';
const ref: { ctx?: Context } = {};

const program = new Command(PROGRAM)
  .description('Starts qkmd from the active software slot; rolls a trial version back when it does not come up healthy.')
  .option('--config <file>', 'a config file applied over the embedded config/qkm.toml (passed on to qkmd)')
  .option('--data-dir <dir>', 'the data directory (overrides [paths] data_dir)')
  .parse(process.argv);

await runCommand(PROGRAM, ref, async () => {
  const opts = program.opts<GlobalOptions>();
  const ctx = (ref.ctx = loadContext(PROGRAM, opts, realWorld, { createDataDir: true }));
  const dataDir = ctx.config.paths.data_dir;
  // Each slot has its own embedded config (whose ./var is inside the slot): the data directory is said outright.
  const args = [...(opts.config ? ['--config', opts.config] : []), '--data-dir', dataDir];
  return runLauncher({
    dataDir,
    baseDir: PACKAGE_ROOT,
    args,
    trialSeconds: ctx.config.update.trial_seconds,
    now: ctx.world.now,
    log: (line) => {
      ctx.log.info(line);
      process.stdout.write(`${PROGRAM}: ${line}\n`);
    },
  });
});
