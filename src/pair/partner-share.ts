/**
 * A partner site's certificate belongs to the pair, as the pair's encryption certificate
 * does: either server may be the one left to export keys to the partner (the other lost),
 * so the administrator imports it once. `cert import` offers it to each peer over the pair
 * link, and a server asked to export to a partner it does not hold asks its peers for it
 * (it was down when the partner was imported). Kept, as on the server that imported it, in
 * `<data_dir>/exchange/partners/` on each.
 */
import { type Partner, partnerPem, storePartner } from '../exchange/partners.js';
import { readEncryptionCredentials, tlsPaths } from '../pki/index.js';
import { PairError } from './errors.js';
import { callPeer, formatAddress, type PeerAddress } from './link-client.js';
import { pairCredentials, type PairSide } from './pairing.js';
import { PairRegistry } from './registry.js';
import type { PairRequest } from './wire.js';
import path from 'node:path';

/** A peer stores the partner it is offered. */
export const PARTNER_OFFER_OP = 'partner-offer';
/** A peer answers with the partner's certificate it holds, if any. */
export const PARTNER_ASK_OP = 'partner-ask';

type Side = Pick<PairSide, 'dataDir' | 'serial' | 'now'>;

/** What became of an offer on each peer: stored there (by serial), or why not. */
export interface PartnerOffer {
  stored: string[];
  missed: { peer: string; why: string }[];
}

const text = (request: PairRequest, field: string): string => {
  const v = request[field];
  if (typeof v !== 'string') throw new PairError('PAIR_BAD_REQUEST', `A partner request carries its ${field} as text.`);
  return v;
};

/** The pair link's side of an offer: checked and stored as an import here would be. */
export async function storeOfferedPartner(side: Side, request: PairRequest, peer: string): Promise<Partner & { replaced: boolean }> {
  const own = await readEncryptionCredentials(tlsPaths(path.join(side.dataDir, 'tls')));
  return storePartner(side.dataDir, {
    pem: text(request, 'certPem'), source: `the partner certificate peer ${peer} sent`, name: text(request, 'name'),
    now: new Date(side.now()), ownFingerprint: own?.fingerprint, replace: request.replace === true,
  });
}

/** The pair link's side of a question: the certificate stored under the name, or null. */
export function answerPartnerAsk(side: Side, request: PairRequest): { certPem: string | null } {
  return { certPem: partnerPem(side.dataDir, text(request, 'name')) ?? null };
}

/** Each pinned peer at `addresses`, called in turn with `request`; no peers, no calls. */
async function eachPeer<T>(side: Side, addresses: readonly PeerAddress[], request: PairRequest, take: (reply: Record<string, unknown>, a: PeerAddress) => T | undefined): Promise<{ got: T[]; missed: { peer: string; why: string }[] }> {
  const peers = new PairRegistry(side.dataDir).peers();
  const got: T[] = [];
  const missed: { peer: string; why: string }[] = [];
  if (peers.length === 0) return { got, missed };
  const pinned = new Set(peers.map((p) => p.fingerprint));
  const creds = await pairCredentials(side);
  for (const a of addresses) {
    try {
      const t = take((await callPeer(a, creds, (fp) => pinned.has(fp), request)).reply, a);
      if (t !== undefined) got.push(t);
    } catch (e) {
      missed.push({ peer: formatAddress(a), why: (e as Error).message });
    }
  }
  return { got, missed };
}

/** Offers partner `name`'s certificate to every peer; a peer down is listed with why. */
export async function offerPartnerToPeers(side: Side, addresses: readonly PeerAddress[], p: { name: string; certPem: string; replace: boolean }): Promise<PartnerOffer> {
  const r = await eachPeer(side, addresses, { op: PARTNER_OFFER_OP, ...p }, (reply, a) => (typeof reply.serial === 'string' ? reply.serial : formatAddress(a)));
  return { stored: r.got, missed: r.missed };
}

/** Asks the peers for partner `name`'s certificate and stores the first one given; false when none had it. */
export async function partnerFromPeers(side: Side, addresses: readonly PeerAddress[], name: string): Promise<boolean> {
  const r = await eachPeer(side, addresses, { op: PARTNER_ASK_OP, name }, (reply) => (typeof reply.certPem === 'string' ? reply.certPem : undefined));
  const pem = r.got[0];
  if (pem === undefined) return false;
  storePartner(side.dataDir, { pem, source: `partner ${name}'s certificate from the peer`, name, now: new Date(side.now()) });
  return true;
}
