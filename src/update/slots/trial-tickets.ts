import type { Tickets } from '../../ras/tickets.js';
import { readBootState } from './boot-state.js';

const CONDITION = 'update-trial-failed';

/**
 * The ticket for a trial the launcher rolled back, raised by the qkmd that runs after it
 * (the launcher does not open the keystore). It stays open while the boot record keeps
 * the failed version, and closes when an update is installed over that slot.
 */
export function syncTrialTicket(dataDir: string, tickets: Tickets, runningVersion: string): void {
  const failed = readBootState(dataDir).failed;
  const want = failed ? `${CONDITION}:${failed.version}:${failed.at}` : null;
  for (const t of tickets.list({ openOnly: true })) {
    if (t.condition.startsWith(`${CONDITION}:`) && t.condition !== want) tickets.close(t.condition);
  }
  if (!failed || !want) return;
  tickets.open(want, 'error', `The update to qkm ${failed.version} failed its trial at ${failed.at} (${failed.reason}), so qkm ${runningVersion} was started again; the failed version is kept in software slot ${failed.slot} for support. Send its logs to support and install a corrected version when one is issued.`);
}
