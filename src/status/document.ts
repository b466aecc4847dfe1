/**
 * The appliance at a glance, as one JSON document: what `GET /status.json` serves, what
 * `qkmcmds status --json` prints (both ask the running qkmd, so they are the same
 * document) and what the status page draws. schemas/status.schema.json describes it;
 * fields may be added, never renamed. It holds no key, secret or password hash.
 */
import type { LibraryStatus } from '../engine/index.js';
import type { PeerStatus } from '../pair/status.js';
import type { HwStatus, StatusTicket } from './hardware.js';

export const STATUS_SCHEMA_VERSION = 1;

export interface SoftwareSlots {
  active: { slot: string; version: string };
  previous: { slot: string; version: string } | null;
  trial: { since: string; starts: number } | null;
  failed: { slot: string; version: string; reason: string; at: string } | null;
}

export interface StatusDocument {
  schemaVersion: typeof STATUS_SCHEMA_VERSION;
  /** When qkmd drew this document (ISO 8601). */
  at: string;
  server: { serial: string; hostname: string; version: string; profile: string };
  hardware: Omit<HwStatus, 'tickets' | 'agent'> & { agent: Omit<HwStatus['agent'], 'drivers'> };
  /** Open tickets, newest first, each with what to do in the administrator's words. */
  tickets: { id: number; condition: string; severity: string; openedAt: string; text: string }[];
  keys: {
    /** false while the console has borrowed the keystore (a restore): nothing below is read then. */
    available: boolean;
    /** The share of a library's keys used at which a new set is due (the "80 % line"). */
    depletionPercent: number;
    libraries: (Omit<LibraryStatus, 'class'> & { class: string; depleted: boolean })[];
    lastBackupAt: string | null;
    /** Key sets generated since the last backup that no backup holds (the page warns while above 0). */
    setsSinceBackup: number;
    keysSinceBackup: number;
  };
  pair: { role: string; peers: PeerStatus[]; versionsDiffer: boolean };
  software: SoftwareSlots;
}

/** What qkmd knows, gathered by its parts; `ticketText` words a ticket for the administrator. */
export interface StatusParts {
  now: number;
  server: StatusDocument['server'];
  hw: HwStatus;
  openTickets: StatusTicket[];
  ticketText: (t: StatusTicket) => string;
  keys: { libraries: LibraryStatus[]; backup: { lastBackupAt: number | null; setsSince: number; keysSince: number } } | null;
  depletionPercent: number;
  pair: { role: string; peers: PeerStatus[] };
  software: SoftwareSlots;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function statusDocument(p: StatusParts): StatusDocument {
  const { tickets: _shownInTickets, agent, ...hardware } = p.hw;
  const { drivers: _internal, ...agentShown } = agent;
  return {
    schemaVersion: STATUS_SCHEMA_VERSION,
    at: iso(p.now),
    server: p.server,
    hardware: { ...hardware, agent: agentShown },
    tickets: p.openTickets
      .filter((t) => t.open)
      .sort((a, b) => b.openedAt - a.openedAt || b.id - a.id)
      .map((t) => ({ id: t.id, condition: t.condition, severity: t.severity, openedAt: iso(t.openedAt), text: p.ticketText(t) })),
    keys: {
      available: p.keys !== null,
      depletionPercent: p.depletionPercent,
      libraries: (p.keys?.libraries ?? []).map((l) => ({ ...l, depleted: l.total > 0 && l.percentUsed >= p.depletionPercent })),
      lastBackupAt: p.keys?.backup.lastBackupAt == null ? null : iso(p.keys.backup.lastBackupAt),
      setsSinceBackup: p.keys?.backup.setsSince ?? 0,
      keysSinceBackup: p.keys?.backup.keysSince ?? 0,
    },
    pair: { ...p.pair, versionsDiffer: p.pair.peers.some((peer) => peer.versionsDiffer) },
    software: p.software,
  };
}

/** Whether two documents say the same thing (`at` aside): the page is sent only what changed. */
export function sameStatus(a: StatusDocument, b: StatusDocument): boolean {
  return JSON.stringify({ ...a, at: '' }) === JSON.stringify({ ...b, at: '' });
}
