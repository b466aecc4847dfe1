/**
 * The pending partner offers on a real data directory and their tickets in a real
 * keystore: the newest offer of a name wins, a replace stays one until the peer has it, an
 * offer is settled only if no newer one took its place, and a refusal for good leaves one
 * ticket saying so in place of the pending one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { offerTicketsOf, partnerOffersDirOf, pendingOffer, pendingOffers, recordOffer, removeOffer, settleOffer } from '../../src/pair/partner-offers.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

const B = '127.0.0.1:6101';
const C = '127.0.0.1:6102';

let dir: string;
let engine: KeyEngine;

beforeEach(() => {
  dir = tempDir('qkm-partner-offers-');
  engine = openEngine(dir);
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
});

const openTickets = () => engine.tickets.list({ openOnly: true }).map((t) => ({ condition: t.condition, params: t.params }));

describe('pending partner offers', () => {
  it('keeps nothing when every peer stored the offer, and no folder is made for it', () => {
    expect(recordOffer(dir, { name: 'P', fingerprint: 'F1', replace: false, missed: [], at: 1 })).toBeUndefined();
    expect(pendingOffers(dir)).toEqual([]);
    expect(existsSync(partnerOffersDirOf(dir))).toBe(false);
  });

  it('the newest offer of a name wins, and a replace still pending stays a replace', () => {
    recordOffer(dir, { name: 'P', fingerprint: 'F1', replace: true, missed: [B], at: 1 });
    // The same certificate offered again without --replace (an unchanged import): the peer still holds the old one.
    expect(recordOffer(dir, { name: 'P', fingerprint: 'F1', replace: false, missed: [B], at: 2 })).toEqual({ name: 'P', fingerprint: 'F1', replace: true, peers: [B], at: 2 });
    recordOffer(dir, { name: 'P', fingerprint: 'F2', replace: true, missed: [B, C], at: 3 });
    expect(pendingOffers(dir)).toEqual([{ name: 'P', fingerprint: 'F2', replace: true, peers: [B, C], at: 3 }]);
    // A newer offer every peer stored leaves nothing pending.
    recordOffer(dir, { name: 'P', fingerprint: 'F3', replace: true, missed: [], at: 4 });
    expect(pendingOffer(dir, 'P')).toBeUndefined();
    expect(readdirSync(partnerOffersDirOf(dir))).toEqual([]);
  });

  it('an offer is settled peer by peer, unless a newer one took its place meanwhile', () => {
    const sent = recordOffer(dir, { name: 'P', fingerprint: 'F1', replace: true, missed: [B, C], at: 1 })!;
    expect(settleOffer(dir, sent, B)).toEqual({ ...sent, peers: [C] });
    const newer = recordOffer(dir, { name: 'P', fingerprint: 'F2', replace: true, missed: [C], at: 2 })!;
    expect(settleOffer(dir, sent, C)).toEqual(newer);
    expect(settleOffer(dir, newer, C)).toBeUndefined();
    expect(pendingOffers(dir)).toEqual([]);
    recordOffer(dir, { name: 'Q', fingerprint: 'F1', replace: false, missed: [B], at: 3 });
    removeOffer(dir, 'Q');
    removeOffer(dir, 'Q');
    expect(pendingOffers(dir)).toEqual([]);
  });

  it('one ticket per partner follows its newest pending offer, and closes when none is left', () => {
    const tickets = offerTicketsOf(engine.tickets);
    tickets.pending('P', recordOffer(dir, { name: 'P', fingerprint: 'F1', replace: false, missed: [B], at: 1 }));
    tickets.pending('P', recordOffer(dir, { name: 'P', fingerprint: 'F2', replace: true, missed: [B], at: 2 }));
    expect(openTickets()).toEqual([{ condition: 'partner-offer-pending:P', params: { partner: 'P', peer: B, fingerprint: 'F2', replace: true } }]);
    expect(engine.tickets.list({ openOnly: true })[0]!.text).toMatch(/^The peer at 127\.0\.0\.1:6101 does not hold partner P's new certificate \(fingerprint F2\) yet: it still wraps the keys it exports to P for the certificate that one replaced\. This server sends it/);
    tickets.pending('P', undefined);
    expect(openTickets()).toEqual([]);
  });

  it('at qkmd start the tickets follow the pending offers: a missing one opens, one of an offer no longer pending closes', () => {
    const tickets = offerTicketsOf(engine.tickets);
    tickets.pending('OLD', recordOffer(dir, { name: 'OLD', fingerprint: 'F0', replace: false, missed: [B], at: 1 }));
    removeOffer(dir, 'OLD');
    recordOffer(dir, { name: 'P', fingerprint: 'F1', replace: true, missed: [B], at: 2 });
    tickets.reconcile(pendingOffers(dir));
    expect(openTickets()).toEqual([{ condition: 'partner-offer-pending:P', params: { partner: 'P', peer: B, fingerprint: 'F1', replace: true } }]);
  });

  it("a refusal for good replaces the pending ticket with one saying what to do; a newer offer closes it", () => {
    const tickets = offerTicketsOf(engine.tickets);
    const offer = recordOffer(dir, { name: 'P', fingerprint: 'F1', replace: false, missed: [B], at: 1 })!;
    tickets.pending('P', offer);
    tickets.pending('P', settleOffer(dir, offer, B));
    tickets.refused('P', B, 'A partner named P is already stored (fingerprint F0); choose another name, or replace it.');
    expect(pendingOffers(dir)).toEqual([]);
    expect(engine.tickets.list({ openOnly: true }).map((t) => [t.condition, t.severity, t.text])).toEqual([[
      'partner-offer-refused:P', 'error',
      "The peer at 127.0.0.1:6101 refused partner P's certificate imported on this server (A partner named P is already stored (fingerprint F0); choose another name, or replace it), and this server no longer offers it: the two servers may wrap the keys they export to P for different certificates. Ask the partner's administrator which certificate is its current one, and import that one on this server again as a replacement: it is sent to the peer.",
    ]]);
    tickets.pending('P', recordOffer(dir, { name: 'P', fingerprint: 'F2', replace: true, missed: [B], at: 2 }));
    expect(openTickets().map((t) => t.condition)).toEqual(['partner-offer-pending:P']);
  });
});
