import type { Command } from 'commander';
import { scrapeMetrics } from '../admin/metrics.js';
import type { HwCommandDeps } from './hw-commands.js';

/** `qkmcmds metrics`: what Prometheus scrapes, printed on the box. */
export function addMetricsCommand(program: Command, deps: HwCommandDeps): void {
  program.command('metrics')
    .description('the running qkmd\'s Prometheus metrics (keys, KMIP requests, TLS refusals, RAID, disks, tickets, pair, backup, software)')
    .action(deps.action(async () => {
      process.stdout.write(await scrapeMetrics(deps.context().config.paths.data_dir));
    }));
}
