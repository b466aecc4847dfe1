import type { Tickets } from '../ras/tickets.js';
import { syncTrialTicket } from '../update/slots/trial-tickets.js';
import { type Context, VERSION } from './context.js';

/** qkmd at start: a ticket for an update the launcher rolled back. A boot record it cannot read never stops qkmd. */
export function raiseTrialTicket(ctx: Context, tickets: Tickets): void {
  try {
    syncTrialTicket(ctx.config.paths.data_dir, tickets, VERSION);
  } catch (e) {
    ctx.log.warn({ err: e }, 'cannot read the software slot record; no update ticket raised');
  }
}
