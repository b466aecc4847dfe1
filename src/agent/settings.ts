import type { QkmConfig } from '../config/config.js';

export interface AgentSettings {
  pollMs: number;
  raidEvents: boolean;
  callTimeoutMs: number;
  retryMaxMs: number;
  diskTempMaxC: number;
}

export interface SimSettings {
  rebuildMs: number;
  startDelayMs: number;
  cdReadKiBps: number;
}

/** The [agent] section in the units the agent works in (milliseconds). */
export function agentSettings(config: QkmConfig): AgentSettings {
  const a = config.agent;
  return {
    pollMs: a.poll_seconds * 1000,
    raidEvents: a.raid_events,
    callTimeoutMs: a.driver_timeout_seconds * 1000,
    retryMaxMs: a.retry_max_seconds * 1000,
    diskTempMaxC: a.disk_temp_max_c,
  };
}

export function simSettings(config: QkmConfig): SimSettings {
  return {
    rebuildMs: config.sim.rebuild_seconds * 1000,
    startDelayMs: config.sim.rebuild_start_seconds * 1000,
    cdReadKiBps: config.sim.cd_read_kibps,
  };
}
