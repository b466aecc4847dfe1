import type Database from 'better-sqlite3';
import { type EngineTicketKind, TICKET_KINDS, type TicketCatalogue } from './ticket-catalogue.js';

export type Severity = 'info' | 'warning' | 'error' | 'critical';

export interface Ticket {
  id: number;
  condition: string;
  severity: Severity;
  /** The neutral text (for tickets of older code, the only words there are). */
  text: string;
  /** For a ticket raised from the catalogue: its kind and parameters, for a front end to word it. */
  kind: string | null;
  params: unknown;
  openedAt: number;
  closedAt: number | null;
  open: boolean;
}

/** Which kind of ticket a condition is, and the values its words use. */
export interface TicketWording {
  kind: string;
  params: unknown;
}

interface Row { id: number; condition: string; severity: Severity; text: string; kind: string | null; params: string | null; opened_at: number; closed_at: number | null }

const toTicket = (r: Row): Ticket => ({
  id: r.id, condition: r.condition, severity: r.severity, text: r.text,
  kind: r.kind, params: r.params === null ? null : JSON.parse(r.params),
  openedAt: r.opened_at, closedAt: r.closed_at, open: r.closed_at === null,
});

/**
 * RAS tickets live in the keystore database, so they are backed up with it and a
 * ticket opens in the same transaction as the change that caused it. A condition
 * key (e.g. `keys-depleted:LIB1`) is open at most once; closed tickets stay as history.
 */
export class Tickets {
  private readonly openStmt;
  private readonly closeStmt;
  constructor(private readonly db: Database.Database, private readonly now: () => number) {
    this.openStmt = db.prepare(
      'INSERT INTO tickets (condition, severity, text, kind, params, opened_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (condition) WHERE closed_at IS NULL DO NOTHING',
    );
    this.closeStmt = db.prepare('UPDATE tickets SET closed_at = ? WHERE condition = ? AND closed_at IS NULL');
  }

  /** Opens a ticket for `condition` unless one is already open; returns true if it opened one. */
  open(condition: string, severity: Severity, text: string, wording?: TicketWording): boolean {
    const params = wording === undefined ? null : JSON.stringify(wording.params);
    return this.openStmt.run(condition, severity, text, wording?.kind ?? null, params, this.now()).changes === 1;
  }

  /** Opens the ticket of a kind the catalogue knows, unless its condition is open already. */
  raise<K extends EngineTicketKind>(kind: K, params: TicketCatalogue[K]): boolean {
    const k = TICKET_KINDS[kind];
    return this.open(k.condition(params), k.severity, k.neutral(params), { kind, params });
  }

  /** Closes the open ticket for `condition`, if any. */
  close(condition: string): boolean {
    return this.closeStmt.run(this.now(), condition).changes === 1;
  }

  list(opts: { openOnly?: boolean } = {}): Ticket[] {
    const sql = `SELECT * FROM tickets ${opts.openOnly ? 'WHERE closed_at IS NULL' : ''} ORDER BY id`;
    return (this.db.prepare(sql).all() as Row[]).map(toTicket);
  }
}
