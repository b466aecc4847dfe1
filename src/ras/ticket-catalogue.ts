import type { Severity } from './tickets.js';

/**
 * Every kind of ticket the engine raises, with the values its words use. A ticket stores
 * its kind and parameters beside a neutral text, and each front end that shows tickets
 * words it for its reader (see TicketWords); the neutral text serves the log and any
 * front end with no words of its own, and names no command line.
 */
export interface TicketCatalogue extends EngineTickets, HardwareTickets {}

/** The engine's tickets: raised by kind (Tickets.raise), with their neutral words here. */
export interface EngineTickets {
  /** A library asked for a tape's key and has no key set here. */
  'no-key-set': { library: string };
  /**
   * `waiting`: a library was refused keys for it (rather than keys were just generated);
   * `stored`: a client registered or was given a key that belongs to no set.
   */
  'backup-needed': { library: string; waiting?: true; stored?: true };
  'sync-needed': { library: string };
  'keys-depleted': { library: string; keyClass: string; used: number; total: number; percent: number };
  'keys-exhausted': { library: string; keyClass: string };
  /** Some keys of a key file were imported and some not (`at`: when, ISO 8601; `log`: the Import Warning Log). */
  'key-import-warning': { file: string; imported: number; refused: number; log: string; at: string };
  /** The peer imported a key of the name of one imported here, with other material: each server keeps its own. */
  'imported-key-conflict': { key: string; library: string; peer: string };
  /** Partner `partner`'s certificate (`fingerprint`), imported here, is not stored yet on the peer at `peer` (pair link addresses); `replace`: the peer holds an older one. */
  'partner-offer-pending': { partner: string; peer: string; fingerprint: string; replace: boolean };
  /** The peer at `peer` refused partner `partner`'s certificate imported here for a reason that will not change (`reason`: the peer's words). */
  'partner-offer-refused': { partner: string; peer: string; reason: string };
}

/**
 * The hardware agent's tickets (src/agent/desired-tickets.ts, replacement.ts), whose
 * neutral words are written where the agent decides them; `serial` is null when the
 * disk did not say.
 */
export interface HardwareTickets {
  'disk-failed': { bay: number; serial: string | null };
  'rebuild-failed': { bay: number; serial: string | null };
  'disk-missing': { bay: number; lastSerial: string | null };
  'bay-empty-long': { bay: number };
  'smart-failing': { bay: number; serial: string | null };
  /** `figures`: each SMART figure that foretells a failure, in words that name it. */
  'disk-wearing': { bay: number; serial: string | null; figures: string[] };
  'temperature-high': { bay: number; serial: string | null; temperatureC: number | null };
  'rebuild-started': { bay: number; serial: string | null };
  'rebuild-progress': { bay: number; serial: string | null; percent: number };
  'rebuild-finished': { bay: number; serial: string | null };
  'disks-out': { count: number };
  'degraded-at-boot': { array: string };
  /** A hardware RAID controller not in its good state (`status` as storcli words it). */
  'raid-controller': { status: string };
  /** The controller's cache battery (BBU) or CacheVault not in its good state. */
  'cache-battery': { kind: string; state: string };
  'driver-blind': { family: string; device?: string };
  /** The table's meaning and what to do for the pattern heard. */
  'post-beeps': { pattern: string; repeating: boolean; meaning: string; action: string };
  /** `byHand`: the shell commands that add the disk by hand. */
  'readd-waiting': { bay: number; serial: string | null; array: string; byHand: string };
  'readd-not-blank': { bay: number; serial: string | null; found: string; disk: string };
  'readd-failed': { bay: number; array: string; reason: string; byHand: string };
}

export type TicketKind = keyof TicketCatalogue;
export type EngineTicketKind = keyof EngineTickets;

/** A ticket's kind and parameters, checked against the catalogue, to store beside its text. */
export function worded<K extends TicketKind>(kind: K, params: TicketCatalogue[K]): { kind: K; params: TicketCatalogue[K] } {
  return { kind, params };
}

interface KindEntry<K extends EngineTicketKind> {
  severity: Severity;
  /** At most one ticket is open per condition. */
  condition: (p: TicketCatalogue[K]) => string;
  neutral: (p: TicketCatalogue[K]) => string;
}

/** What a pending partner offer leaves the peer with (every front end's words start so). */
export function pendingOfferSentence(p: TicketCatalogue['partner-offer-pending']): string {
  return p.replace
    ? `The peer at ${p.peer} does not hold partner ${p.partner}'s new certificate (fingerprint ${p.fingerprint}) yet: it still wraps the keys it exports to ${p.partner} for the certificate that one replaced.`
    : `The peer at ${p.peer} does not hold partner ${p.partner}'s certificate (fingerprint ${p.fingerprint}) yet.`;
}

/** What a refused partner offer leaves the two servers with (every front end's words start so). */
export function refusedOfferSentence(p: TicketCatalogue['partner-offer-refused']): string {
  return `The peer at ${p.peer} refused partner ${p.partner}'s certificate imported on this server (${p.reason.replace(/\.$/, '')}), and this server no longer offers it: the two servers may wrap the keys they export to ${p.partner} for different certificates.`;
}

export const TICKET_KINDS: { readonly [K in EngineTicketKind]: KindEntry<K> } = {
  'no-key-set': {
    severity: 'error',
    condition: (p) => `no-key-set:${p.library}`,
    neutral: (p) => `Library ${p.library} asked for a key to write a tape, but has no key set on this server; generate one for it, then take a backup.`,
  },
  'backup-needed': {
    severity: 'warning',
    condition: () => 'backup-needed',
    neutral: (p) => p.stored
      ? `Keys were stored for client ${p.library} that no backup holds yet; take a backup and copy both files off the server.`
      : p.waiting
      ? `Library ${p.library} is waiting for keys that no backup holds yet; take a backup and copy both files off the server.`
      : `New keys were generated for library ${p.library} and no backup holds them yet; take a backup and copy both files off the server before the keys can be used.`,
  },
  'sync-needed': {
    severity: 'error',
    condition: (p) => `sync-needed:${p.library}`,
    neutral: (p) => `The keystore was restored from a backup; library ${p.library} gets no new keys until it is synchronised: from the pair's other server, or with the name of the last key the library used.`,
  },
  'keys-depleted': {
    severity: 'warning',
    condition: (p) => `keys-depleted:${p.library}`,
    neutral: (p) => `Library ${p.library} has used ${p.used} of its ${p.total} keys on this server (${p.percent} % or more); generate a new set of ${p.keyClass} keys for it, then take a backup.`,
  },
  'keys-exhausted': {
    severity: 'error',
    condition: (p) => `keys-exhausted:${p.library}`,
    neutral: (p) => `Library ${p.library} has no unused keys left on this server and cannot encrypt new tapes here; generate a new set of ${p.keyClass} keys for it now, then back up both servers.`,
  },
  'key-import-warning': {
    severity: 'warning',
    condition: (p) => `key-import-warning:${p.at}`,
    neutral: (p) => `Of the keys in ${p.file}, ${p.imported} were imported and ${p.refused} were not; the Import Warning Log ${p.log} lists each with the reason. The file may be damaged: ask the sender for a new copy and import it again.`,
  },
  'imported-key-conflict': {
    severity: 'error',
    condition: (p) => `imported-key-conflict:${p.key}`,
    neutral: (p) => `Server ${p.peer} imported a key named ${p.key} for library ${p.library} that differs from the key of that name imported here; each server keeps its own, so a tape written with the other key does not read through this server. Ask the sites that sent the two key files which is the tape's key.`,
  },
  'partner-offer-pending': {
    severity: 'warning',
    condition: (p) => `partner-offer-pending:${p.partner}`,
    neutral: (p) => `${pendingOfferSentence(p)} This server sends it by itself as soon as the pair link to the peer works again.`,
  },
  'partner-offer-refused': {
    severity: 'error',
    condition: (p) => `partner-offer-refused:${p.partner}`,
    neutral: (p) => `${refusedOfferSentence(p)} Ask the partner's administrator which certificate is its current one, and import that one on this server again as a replacement: it is sent to the peer.`,
  },
};

/** A ticket as a front end words it: its kind and parameters when the engine stored them. */
export interface Wordable {
  text: string;
  kind: string | null;
  params: unknown;
}

/** A front end's own words for some kinds of ticket, checked against the catalogue. */
export type TicketWords = { readonly [K in TicketKind]?: (params: TicketCatalogue[K]) => string };

/** What a front end shows for a ticket: its words for the kind, else the stored text (all a ticket of older code has). */
export function ticketText(t: Wordable, words: TicketWords): string {
  if (t.kind === null || t.params === null || !(t.kind in words)) return t.text;
  const say = words[t.kind as TicketKind] as ((params: unknown) => string) | undefined;
  return say ? say(t.params) : t.text;
}
