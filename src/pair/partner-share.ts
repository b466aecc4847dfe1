/**
 * A partner site's certificate belongs to the pair, as the pair's encryption certificate
 * does: either server may be the one left to export keys to the partner (the other lost),
 * so the administrator imports it once. `cert import` offers it to each peer over the pair
 * link, and a server asked to export to a partner it does not hold asks its peers for it
 * (it was down when the partner was imported). Kept, as on the server that imported it, in
 * `<data_dir>/exchange/partners/` on each. An offer a peer missed is kept as pending
 * (partner-offers.ts) and qkmd sends it when the pair link works again: a peer down when a
 * partner was replaced holds the old certificate and would never ask.
 */
import { X509Certificate } from 'node:crypto';
import { type Partner, partnerPem, storePartner } from '../exchange/partners.js';
import { QkmError } from '../errors.js';
import type { Logger } from '../logs/logger.js';
import { type PairCredentials, readEncryptionCredentials, tlsPaths } from '../pki/index.js';
import { PairError } from './errors.js';
import { callPeer, formatAddress, type PeerAddress } from './link-client.js';
import { type OfferTickets, type PendingOffer, pendingOffers, recordOffer, refusedForGood, removeOffer, settleOffer } from './partner-offers.js';
import { pairCredentials, type PairSide } from './pairing.js';
import { PairRegistry } from './registry.js';
import type { PairRequest } from './wire.js';
import path from 'node:path';

/** A peer stores the partner it is offered. */
export const PARTNER_OFFER_OP = 'partner-offer';
/** A peer answers with the partner's certificate it holds, if any. */
export const PARTNER_ASK_OP = 'partner-ask';

type Side = Pick<PairSide, 'dataDir' | 'serial' | 'now'>;

/**
 * What became of an offer on each peer: stored there (by serial), or why not; `later`: the
 * peer may take it later (it was down, say), so it is pending and qkmd sends it then.
 */
export interface PartnerOffer {
  stored: string[];
  /** `code`: the peer's refusal's, or the link's failure's. */
  missed: { peer: string; why: string; code: string | null; later: boolean }[];
  /** What is pending of the partner now (undefined: nothing). */
  pending?: PendingOffer;
}

const text = (request: PairRequest, field: string): string => {
  const v = request[field];
  if (typeof v !== 'string') throw new PairError('PAIR_BAD_REQUEST', `A partner request carries its ${field} as text.`);
  return v;
};

/**
 * The pair link's side of an offer: checked and stored as an import here would be. It is
 * newer than any offer of the name still pending here, which is dropped (with its ticket).
 */
export async function storeOfferedPartner(side: Side, request: PairRequest, peer: string, tickets?: OfferTickets): Promise<Partner & { replaced: boolean }> {
  const own = await readEncryptionCredentials(tlsPaths(path.join(side.dataDir, 'tls')));
  const name = text(request, 'name');
  const stored = storePartner(side.dataDir, {
    pem: text(request, 'certPem'), source: `the partner certificate peer ${peer} sent`, name,
    now: new Date(side.now()), ownFingerprint: own?.fingerprint, replace: request.replace === true,
  });
  removeOffer(side.dataDir, name);
  tickets?.pending(name, undefined);
  return stored;
}

/** The pair link's side of a question: the certificate stored under the name, or null. */
export function answerPartnerAsk(side: Side, request: PairRequest): { certPem: string | null } {
  return { certPem: partnerPem(side.dataDir, text(request, 'name')) ?? null };
}

/** Each pinned peer at `addresses`, called in turn with `request`; no peers, no calls. */
async function eachPeer<T>(side: Side, addresses: readonly PeerAddress[], request: PairRequest, take: (reply: Record<string, unknown>, a: PeerAddress) => T | undefined): Promise<{ got: T[]; missed: { peer: string; error: Error }[] }> {
  const peers = new PairRegistry(side.dataDir).peers();
  const got: T[] = [];
  const missed: { peer: string; error: Error }[] = [];
  if (peers.length === 0) return { got, missed };
  const pinned = new Set(peers.map((p) => p.fingerprint));
  const creds = await pairCredentials(side);
  for (const a of addresses) {
    try {
      const t = take((await callPeer(a, creds, (fp) => pinned.has(fp), request)).reply, a);
      if (t !== undefined) got.push(t);
    } catch (e) {
      missed.push({ peer: formatAddress(a), error: e as Error });
    }
  }
  return { got, missed };
}

/**
 * Offers partner `name`'s certificate to every peer; a peer that missed it is listed with
 * why, and kept as pending unless it refused for good.
 */
export async function offerPartnerToPeers(side: Side, addresses: readonly PeerAddress[], p: { name: string; certPem: string; replace: boolean }): Promise<PartnerOffer> {
  const r = await eachPeer(side, addresses, { op: PARTNER_OFFER_OP, ...p }, (reply, a) => (typeof reply.serial === 'string' ? reply.serial : formatAddress(a)));
  const missed = r.missed.map((m) => ({ peer: m.peer, why: m.error.message, code: m.error instanceof QkmError ? m.error.code : null, later: !refusedForGood(m.error) }));
  const pending = recordOffer(side.dataDir, {
    name: p.name, fingerprint: new X509Certificate(p.certPem).fingerprint256, replace: p.replace,
    missed: missed.filter((m) => m.later).map((m) => m.peer), at: side.now(),
  });
  return { stored: r.got, missed, ...(pending && { pending }) };
}

const LINK_DOWN = new Set<string>(['PAIR_UNREACHABLE', 'PAIR_TIMEOUT', 'PAIR_CLOSED']);

/**
 * qkmd, once the pair link to `address` works (again): each partner offer pending for that
 * peer, sent as it is stored here now, and settled once the peer stored it or refused it for
 * good (with a warning and a ticket). Stops at the first that cannot get through. Never
 * throws: the link's own health is the replicator's to report.
 */
export async function sendPendingOffers(o: { side: Side; creds: PairCredentials; log: Logger; tickets: OfferTickets }, address: PeerAddress): Promise<void> {
  const where = formatAddress(address);
  const pinned = new Set(new PairRegistry(o.side.dataDir).peers().map((p) => p.fingerprint));
  const settle = (offer: PendingOffer) => o.tickets.pending(offer.name, settleOffer(o.side.dataDir, offer, where));
  try {
    for (const offer of pendingOffers(o.side.dataDir).filter((x) => x.peers.includes(where))) {
      let certPem = partnerPem(o.side.dataDir, offer.name);
      if (certPem === undefined) {
        settle(offer);
        continue;
      }
      try {
        // An import here replacing it meanwhile may have reached the peer first: then that one follows.
        for (let replace = offer.replace; ; replace = true) {
          await callPeer(address, o.creds, (fp) => pinned.has(fp), { op: PARTNER_OFFER_OP, name: offer.name, certPem, replace });
          const now = partnerPem(o.side.dataDir, offer.name);
          if (now === undefined || now === certPem) break;
          certPem = now;
        }
      } catch (e) {
        if (!refusedForGood(e)) throw e;
        o.log.warn({ peer: where, partner: offer.name, err: (e as Error).message }, 'partner certificate refused by the peer for good: no longer offered');
        settle(offer);
        o.tickets.refused(offer.name, where, (e as Error).message);
        continue;
      }
      o.log.info({ peer: where, partner: offer.name, fingerprint: new X509Certificate(certPem).fingerprint256 }, 'pending partner certificate stored on the peer');
      settle(offer);
    }
  } catch (e) {
    // The link failing again is the replicator's to report; anything else (the peer's full disk, say) is worth a warning.
    const linkDown = e instanceof PairError && LINK_DOWN.has(e.code);
    o.log[linkDown ? 'debug' : 'warn']({ peer: where, err: (e as Error).message }, 'pending partner certificates not sent yet; tried again within seconds');
  }
}

/** Asks the peers for partner `name`'s certificate and stores the first one given; false when none had it. */
export async function partnerFromPeers(side: Side, addresses: readonly PeerAddress[], name: string): Promise<boolean> {
  const r = await eachPeer(side, addresses, { op: PARTNER_ASK_OP, name }, (reply) => (typeof reply.certPem === 'string' ? reply.certPem : undefined));
  const pem = r.got[0];
  if (pem === undefined) return false;
  storePartner(side.dataDir, { pem, source: `partner ${name}'s certificate from the peer`, name, now: new Date(side.now()) });
  return true;
}
