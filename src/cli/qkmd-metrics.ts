import { PACKAGE_ROOT } from '../config/config.js';
import { softwareStatus } from '../admin/update.js';
import type { HardwareHost } from '../hardware/start.js';
import { type QkmMetrics, createMetrics } from '../metrics/index.js';
import { peerLag } from '../pair/status.js';
import { raidSection } from '../status/hardware.js';
import type { Context } from './context.js';
import type { ServedKeystore } from './served-keystore.js';

/**
 * qkmd's metrics over what it runs: the served keystore (whichever is open; none while it
 * is lent for a restore), the hardware agent's last pass, and the boot record. Every read
 * is one the status commands make too, and none waits for the hardware.
 */
export function qkmdMetrics(ctx: Context, keystore: ServedKeystore, hardware: HardwareHost): QkmMetrics {
  const now = () => ctx.world.now();
  return createMetrics({
    log: ctx.log,
    sources: {
      keys: () => keystore.engine.status(),
      lastBackupAt: () => keystore.engine.lastBackupAt(),
      hardware: () => {
        const snap = hardware.agent?.snapshot();
        return { raid: raidSection(snap?.raid ?? null), disks: snap?.disks ?? [] };
      },
      tickets: () => keystore.tickets.list({ openOnly: true }),
      replication: () => {
        const { journal } = keystore.engine;
        const at = now();
        return journal.peers().map((p) => ({ peer: p.name, ...peerLag(journal, p, at) }));
      },
      software: () => softwareStatus({ dataDir: ctx.config.paths.data_dir, baseDir: PACKAGE_ROOT }),
      now,
    },
  });
}
