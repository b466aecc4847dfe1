import { DriverError } from '../errors.js';
import type { CommandRunner } from '../runner.js';
import { type SystemBackend, type SystemChange, commandsFor } from './contract.js';

/** Changes the real machine: only built when the configuration lets qkm run commands. */
export class LinuxSystem implements SystemBackend {
  readonly kind = 'linux';
  constructor(private readonly runner: CommandRunner) {}

  async apply(change: SystemChange): Promise<void> {
    for (const [cmd, args] of commandsFor(change)) {
      const r = await this.runner.run(cmd, args);
      if (r.code !== 0) {
        throw new DriverError('COMMAND_FAILED', `${cmd} could not change the ${change.setting} setting (${r.stderr.trim().split('\n')[0] || `exit status ${r.code}`}).`, { command: [cmd, ...args].join(' '), stderr: r.stderr });
      }
    }
  }
}
