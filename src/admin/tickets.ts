import type { Ticket } from '../ras/tickets.js';
import { type OpenEngine, withEngine } from './engine-session.js';

/** `tickets`: the open RAS tickets, or every ticket with `all`. */
export function listTickets(open: OpenEngine, o: { all?: boolean } = {}): Promise<Ticket[]> {
  return withEngine(open, (engine) => engine.tickets.list({ openOnly: !o.all }));
}
