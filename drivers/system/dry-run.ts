import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type SystemBackend, type SystemChange, commandsFor } from './contract.js';

/**
 * Touches nothing: appends, one JSON line each, the commands the linux backend would
 * run to `logFile`, so a test (or a person trying the simulator) sees what would happen.
 */
export class DryRunSystem implements SystemBackend {
  readonly kind = 'dry-run';
  constructor(private readonly logFile: string) {}

  async apply(change: SystemChange): Promise<void> {
    const lines = commandsFor(change).map(([cmd, args]) => `${JSON.stringify({ setting: change.setting, command: [cmd, ...args] })}\n`);
    mkdirSync(path.dirname(this.logFile), { recursive: true });
    appendFileSync(this.logFile, lines.join(''), { mode: 0o644 });
  }
}
