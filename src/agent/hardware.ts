import path from 'node:path';
import { SystemClock } from '../../drivers/clock.js';
import type { QkmConfig } from '../config/config.js';
import type { Logger } from '../logs/logger.js';
import { Agent } from './agent.js';
import type { TicketStore } from './reconcile.js';
import { agentSettings, simSettings } from './settings.js';
import { SimAppliance } from './sim-appliance.js';

/** What qkmd hosts for the hardware: the agent and, on the sim profile, the simulated appliance. */
export interface HardwareHost {
  profile: QkmConfig['hardware']['profile'];
  /** Null where this profile has no drivers wired yet (the real appliance, for now). */
  agent: Agent | null;
  sim: SimAppliance | null;
  stop(): Promise<void>;
}

/** Where the simulated appliance keeps its disks' state between runs. */
export function simWorldFile(dataDir: string): string {
  return path.join(dataDir, 'sim-world.json');
}

/**
 * Builds the drivers for the configured profile and starts the agent on them. The sim
 * profile is the only place the agent meets a concrete backend; the agent itself sees
 * contracts only.
 */
export async function startHardware(config: QkmConfig, tickets: TicketStore, log: Logger): Promise<HardwareHost> {
  const a = agentSettings(config);
  if (config.hardware.profile !== 'sim') {
    log.warn({ profile: config.hardware.profile }, 'no hardware drivers are configured for this profile; the hardware agent is not running');
    return { profile: config.hardware.profile, agent: null, sim: null, stop: async () => {} };
  }
  const clock = new SystemClock();
  const sim = new SimAppliance({ clock, ...simSettings(config), stateFile: simWorldFile(config.paths.data_dir) });
  const agent = new Agent({
    drivers: { raid: () => sim.raid, disks: () => sim.disks, leds: () => sim.leds },
    tickets,
    clock,
    pollMs: a.pollMs,
    callTimeoutMs: a.callTimeoutMs,
    backoff: { maxMs: a.retryMaxMs },
    tempMaxC: a.diskTempMaxC,
    subscribeEvents: a.raidEvents,
    log: log.child({ component: 'agent' }),
  });
  await agent.start();
  log.info({ profile: 'sim' }, 'hardware agent started');
  return {
    profile: 'sim',
    agent,
    sim,
    stop: async () => {
      await agent.stop();
      await sim.close();
    },
  };
}
