import { SmartctlDisks } from '../../drivers/disks/smartctl.js';
import { FileRoot } from '../../drivers/file-root.js';
import type { LedBackend } from '../../drivers/leds/contract.js';
import { LedctlLeds } from '../../drivers/leds/ledctl.js';
import { LedRouter, type LedMapping } from '../../drivers/leds/router.js';
import { SysfsLeds } from '../../drivers/leds/sysfs.js';
import type { RaidReAdder } from '../../drivers/raid/contract.js';
import { MdRaid } from '../../drivers/raid/md.js';
import { MdReAdder } from '../../drivers/raid/md-readd.js';
import { StorcliRaid } from '../../drivers/raid/storcli.js';
import { ExecFileRunner, type CommandRunner } from '../../drivers/runner.js';
import type { AgentDrivers } from './agent.js';
import { applianceTools, type ApplianceSettings } from './appliance-settings.js';

export interface ApplianceDrivers {
  drivers: AgentDrivers;
  /** Puts a replaced disk back into the md mirror; null unless writing to disks is allowed. */
  readder: RaidReAdder | null;
  runner: CommandRunner;
}

/**
 * The real backends for the appliance profile. Every command goes through one
 * ExecFileRunner, enabled only by [hardware] run_commands and limited to the tools this
 * configuration needs; every file is read under [hardware] root. Factories make fresh
 * backends, so the agent's restart of a failing driver really starts it again.
 */
export function applianceDrivers(s: ApplianceSettings, callTimeoutMs: number): ApplianceDrivers {
  const runner = new ExecFileRunner({ enabled: s.runCommands, allow: applianceTools(s), defaultTimeoutMs: callTimeoutMs });
  const root = new FileRoot(s.root);
  // Tool time-outs sit just under the agent's own, so a hung tool is killed, not only abandoned.
  const timeoutMs = Math.max(1_000, callTimeoutMs - 500);

  const raid = () =>
    s.raid === 'md'
      ? new MdRaid({ root, bays: s.bays, array: s.mdName, runner, timeoutMs })
      : new StorcliRaid({ runner, command: s.storcli.command, controller: s.storcli.controller, slotBays: s.storcli.slotBays, timeoutMs });

  const leds = (): LedBackend => {
    const backends: Record<string, LedBackend> = {};
    const mapping: LedMapping = {};
    if (Object.keys(s.sysfsLeds).length > 0) {
      backends.sysfs = new SysfsLeds({ root, names: s.sysfsLeds });
      for (const led of backends.sysfs.leds()) mapping[led] = 'sysfs';
    }
    if (Object.keys(s.ledctlLeds).length > 0) {
      backends.ledctl = new LedctlLeds({ runner, devices: s.ledctlLeds, timeoutMs });
      for (const led of backends.ledctl.leds()) mapping[led] = 'ledctl';
    }
    return new LedRouter(mapping, backends);
  };

  return {
    drivers: { raid, disks: () => new SmartctlDisks({ runner, bays: s.bays, timeoutMs }), leds },
    // A hardware controller rebuilds onto a new disk by itself; only md needs us to add it.
    readder:
      s.raid === 'md' && s.readdBlankDisks
        ? new MdReAdder({ runner, array: s.mdDevice, bays: s.bays, partition: s.mdPartition })
        : null,
    runner,
  };
}
