/**
 * Partners' certificates a peer has not stored yet: an offer (src/pair/partner-share.ts)
 * that missed a peer because it was down is kept here, one file per partner in
 * `<data_dir>/pair/partner-offers/<NAME>.json`, and qkmd sends it again once the pair link
 * works. A peer that was down when a partner was REPLACED never asks for it (it holds the
 * old certificate), so without this it would go on wrapping keys for a retired one.
 *
 * The newest offer of a name wins: recording one replaces the pending one. A ticket on
 * this server says what is pending, or what the peer refused for good, per partner.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { QkmError } from '../errors.js';
import type { Tickets } from '../ras/tickets.js';
import { fsyncDir, writeFileDurable } from '../util/durable-file.js';

/** Partner `name`'s certificate, as it was imported here, not yet stored on `peers` (pair link addresses). */
export interface PendingOffer {
  name: string;
  fingerprint: string;
  /** The peer is to replace what it holds under the name (an import with --replace, here, since it was last stored there). */
  replace: boolean;
  peers: string[];
  /** When it was recorded (ms since the epoch): a later record of the name is a newer offer. */
  at: number;
}

export const partnerOffersDirOf = (dataDir: string): string => path.join(dataDir, 'pair', 'partner-offers');

const fileOf = (dataDir: string, name: string): string => path.join(partnerOffersDirOf(dataDir), `${name}.json`);

/**
 * Refusals a peer would give again: the certificate or its name cannot be used there, or
 * the peer holds another one under the name and was not asked to replace it. Anything
 * else (down, timed out, a full disk, an older version) may pass later.
 */
const REFUSED_FOR_GOOD = new Set<string>([
  'EXCHANGE_PARTNER_EXISTS', 'EXCHANGE_PARTNER_NAME', 'EXCHANGE_CERT_OWN',
  'EXCHANGE_CERT_NOT_CERT', 'EXCHANGE_CERT_NOT_RSA', 'EXCHANGE_CERT_TOO_SHORT', 'EXCHANGE_CERT_EXPIRED',
]);

export const refusedForGood = (e: unknown): boolean => e instanceof QkmError && REFUSED_FOR_GOOD.has(e.code);

export function pendingOffer(dataDir: string, name: string): PendingOffer | undefined {
  const file = fileOf(dataDir, name);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PendingOffer;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Every pending offer (none: one failed stat of the folder). */
export function pendingOffers(dataDir: string): PendingOffer[] {
  const dir = partnerOffersDirOf(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => pendingOffer(dataDir, f.slice(0, -5)) ?? []);
}

/**
 * An offer was just made of partner `name`: it is what the peers that `missed` it (and may
 * take it later) still lack, in place of any older pending offer of the name. A replace
 * still pending stays a replace when the certificate is offered again unchanged. Returns the
 * pending offer, or undefined when every peer has stored it.
 */
export function recordOffer(dataDir: string, o: { name: string; fingerprint: string; replace: boolean; missed: string[]; at: number }): PendingOffer | undefined {
  const before = pendingOffer(dataDir, o.name);
  if (o.missed.length === 0) {
    if (before) removeOffer(dataDir, o.name);
    return undefined;
  }
  const offer: PendingOffer = { name: o.name, fingerprint: o.fingerprint, replace: o.replace || before?.replace === true, peers: [...o.missed], at: o.at };
  writeFileDurable(fileOf(dataDir, o.name), `${JSON.stringify(offer, null, 2)}\n`, 0o600);
  return offer;
}

const sameOffer = (a: PendingOffer | undefined, b: PendingOffer): a is PendingOffer =>
  a !== undefined && a.at === b.at && a.fingerprint === b.fingerprint;

/**
 * `offer` reached `peer` (stored there, or refused for good): it no longer waits for that
 * peer, unless a newer offer of the name took its place meanwhile. Returns what is still
 * pending of the name.
 */
export function settleOffer(dataDir: string, offer: PendingOffer, peer: string): PendingOffer | undefined {
  const now = pendingOffer(dataDir, offer.name);
  if (!sameOffer(now, offer)) return now;
  const rest = { ...now, peers: now.peers.filter((p) => p !== peer) };
  if (rest.peers.length > 0) {
    writeFileDurable(fileOf(dataDir, offer.name), `${JSON.stringify(rest, null, 2)}\n`, 0o600);
    return rest;
  }
  removeOffer(dataDir, offer.name);
  return undefined;
}

/** No offer of `name` is pending any more (the peer sent a newer certificate of it). */
export function removeOffer(dataDir: string, name: string): void {
  const file = fileOf(dataDir, name);
  if (!existsSync(file)) return;
  rmSync(file, { force: true });
  fsyncDir(path.dirname(file));
}

const pendingCondition = (name: string) => `partner-offer-pending:${name}`;
const refusedCondition = (name: string) => `partner-offer-refused:${name}`;

/** The tickets that tell this server's administrator about its partner offers. */
export interface OfferTickets {
  /**
   * Partner `name`'s offer now stands so: a ticket open while it waits (its words follow
   * the newest offer), none once every peer has stored it. A newer offer also closes the
   * ticket of an older one a peer refused.
   */
  pending(name: string, offer: PendingOffer | undefined): void;
  /** A peer refused partner `name`'s certificate for good (`reason`: its words): dropped, and a ticket says what to do. */
  refused(name: string, peer: string, reason: string): void;
  /**
   * The tickets as `offers`, all those pending, stand: at qkmd's start, after an import
   * that stopped before its ticket, or a restore that brought back older tickets.
   */
  reconcile(offers: readonly PendingOffer[]): void;
}

/** The offers' tickets, kept with the keystore's other tickets. */
export function offerTicketsOf(tickets: Pick<Tickets, 'raise' | 'close' | 'list'>): OfferTickets {
  const pending = (name: string, offer: PendingOffer | undefined) => {
    tickets.close(refusedCondition(name));
    if (!offer) {
      tickets.close(pendingCondition(name));
      return;
    }
    const params = { partner: name, peer: offer.peers.join(', '), fingerprint: offer.fingerprint, replace: offer.replace };
    const open = tickets.list({ openOnly: true }).find((t) => t.condition === pendingCondition(name));
    if (open && JSON.stringify(open.params) !== JSON.stringify(params)) tickets.close(pendingCondition(name));
    tickets.raise('partner-offer-pending', params);
  };
  return {
    pending,
    refused(name, peer, reason) {
      tickets.close(pendingCondition(name));
      tickets.raise('partner-offer-refused', { partner: name, peer, reason });
    },
    reconcile(offers) {
      const waiting = new Set(offers.map((o) => pendingCondition(o.name)));
      for (const t of tickets.list({ openOnly: true })) {
        if (t.kind === 'partner-offer-pending' && !waiting.has(t.condition)) tickets.close(t.condition);
      }
      for (const o of offers) pending(o.name, o);
    },
  };
}
