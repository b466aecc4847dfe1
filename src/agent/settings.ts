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
}

type Sections = Record<string, Record<string, unknown> | undefined>;

/**
 * The [agent] and [sim] sections. The loader fills and validates every row of the
 * settings table (src/config/schema.ts); QkmConfig's interface does not list these two
 * sections yet, so they are read here by name, in one place.
 */
function section(config: QkmConfig, name: string): Record<string, unknown> {
  const s = (config as unknown as Sections)[name];
  if (!s) throw new Error(`config section [${name}] is missing; is src/config/schema.ts out of date?`);
  return s;
}

const num = (s: Record<string, unknown>, k: string) => {
  const v = s[k];
  if (typeof v !== 'number') throw new Error(`config key ${k} is not a number`);
  return v;
};

export function agentSettings(config: QkmConfig): AgentSettings {
  const a = section(config, 'agent');
  return {
    pollMs: num(a, 'poll_seconds') * 1000,
    raidEvents: a.raid_events !== false,
    callTimeoutMs: num(a, 'driver_timeout_seconds') * 1000,
    retryMaxMs: num(a, 'retry_max_seconds') * 1000,
    diskTempMaxC: num(a, 'disk_temp_max_c'),
  };
}

export function simSettings(config: QkmConfig): SimSettings {
  const s = section(config, 'sim');
  return { rebuildMs: num(s, 'rebuild_seconds') * 1000, startDelayMs: num(s, 'rebuild_start_seconds') * 1000 };
}
