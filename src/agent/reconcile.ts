import type { Severity, Ticket, TicketWording } from '../ras/tickets.js';
import { HW_PREFIX, type DesiredTicket } from './desired-tickets.js';

/** The part of the ticket store the agent needs (src/ras/tickets.ts's Tickets satisfies it). */
export interface TicketStore {
  open(condition: string, severity: Severity, text: string, wording?: TicketWording): boolean;
  close(condition: string): boolean;
  list(opts?: { openOnly?: boolean }): Ticket[];
}

export interface ReconcileResult {
  opened: string[];
  closed: string[];
}

/**
 * Makes the open hardware tickets equal to `desired`: opens what is missing (the store
 * opens a condition at most once), closes what cleared (the store keeps it as history).
 * With `mayClose` false — the agent is blind to some driver — it only opens: a blind
 * agent cannot know that a condition cleared.
 */
export function reconcile(store: TicketStore, desired: readonly DesiredTicket[], mayClose = true): ReconcileResult {
  const open = new Set(store.list({ openOnly: true }).map((t) => t.condition).filter((c) => c.startsWith(HW_PREFIX)));
  const want = new Set(desired.map((d) => d.condition));
  const result: ReconcileResult = { opened: [], closed: [] };
  if (mayClose) {
    // Close first, so a notice that gives way to the next one reads in order in the history.
    for (const c of open) if (!want.has(c) && store.close(c)) result.closed.push(c);
  }
  for (const d of desired) if (!open.has(d.condition) && store.open(d.condition, d.severity, d.text, d.wording)) result.opened.push(d.condition);
  return result;
}
