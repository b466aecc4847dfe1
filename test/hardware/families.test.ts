import { describe, expect, it } from 'vitest';
import type { PassReport } from '../../src/agent/agent.js';
import { loadConfig } from '../../src/config/config.js';
import { FAMILIES, type FamilyRegistry } from '../../src/hardware/families.js';
import { startHardware } from '../../src/hardware/start.js';
import { applianceConfig, captureLog, hardwareBed } from './bed.js';

const bed = hardwareBed('qkm-families-');

describe('device families from the registry', () => {
  it('a backend whose native addon is missing: the agent still starts, one line says which driver and why, and that family goes blind with its ticket', async () => {
    const loaded: string[] = [];
    const families: FamilyRegistry = {
      ...FAMILIES,
      raid: {
        ...FAMILIES.raid,
        backends: {
          md: async () => {
            loaded.push('md');
            const { AddonRaid } = await import('./fixtures/addon-backend.js');
            return () => new AddonRaid() as never;
          },
          storcli: async (ctx) => {
            loaded.push('storcli');
            return FAMILIES.raid.backends.storcli!(ctx);
          },
        },
      },
    };
    const { log, lines } = captureLog();
    const host = (bed.host = await startHardware(applianceConfig(bed.dir), bed.engine.tickets, log, families));
    expect(host.agent).not.toBeNull();
    // Only the backend the configuration selects is imported.
    expect(loaded).toEqual(['md']);

    const unavailable = lines.filter((l) => /unavailable/.test(l.msg));
    expect(unavailable).toHaveLength(1);
    expect(unavailable[0]!.level).toBe(40);
    expect(unavailable[0]!.msg).toMatch(/^The RAID driver "md" is unavailable on this machine \(.*qkm-test-absent-native-addon.*\); the agent reports the RAID family blind until it loads\.$/);

    // Two failed readings (the first, and the retry a second later) make a driver blind, as for one that broke while running.
    const agent = host.agent!;
    await new Promise<void>((resolve) => {
      const off = agent.onPass((r: PassReport) => {
        if (r.snapshot.drivers.raid.failures < 2) return;
        off();
        resolve();
      });
    });
    expect(agent.snapshot().drivers.raid.lastError).toBe(unavailable[0]!.msg);
    const open = bed.engine.tickets.list({ openOnly: true }).map((t) => t.condition);
    expect(open).toContain('hw:driver-blind:raid');
  });

  it('the simulated appliance gives every family its device', async () => {
    const { log, lines } = captureLog();
    const host = (bed.host = await startHardware(loadConfig({ env: { QKM_PATHS_DATA_DIR: bed.dir } }), bed.engine.tickets, log));
    expect(host.profile).toBe('sim');
    const s = host.agent!.snapshot();
    expect(s.raid?.state).toBe('clean');
    expect(s.disks).toHaveLength(2);
    expect(s.cd).not.toBeNull();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });
});
