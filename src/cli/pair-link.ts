import { type KeyEngine, PeerCopies, type ReplicatedEntry } from '../engine/index.js';
import { caCertificatePem, ensurePairCredentials, normalizeSerial, revokeCertificates, revokedSerials, tlsDirOf, tlsPaths } from '../pki/index.js';
import { ENCRYPTION_KEY_OP, shareEncryptionKey } from '../pair/encryption-share.js';
import { PairError } from '../pair/errors.js';
import { offerTicketsOf, pendingOffers } from '../pair/partner-offers.js';
import { PARTNER_ASK_OP, PARTNER_OFFER_OP, answerPartnerAsk, sendPendingOffers, storeOfferedPartner } from '../pair/partner-share.js';
import { startPairServer, type PairServer } from '../pair/link-server.js';
import { PairRegistry } from '../pair/registry.js';
import { Replicator } from '../pair/replicator.js';
import { peerAddresses } from '../pair/settings.js';
import { startAutoSync } from '../pair/auto-sync.js';
import { pairSide } from './command-engine.js';
import { type Context, VERSION } from './context.js';

/**
 * The key service accepts the libraries of its peers' CAs: given them now, and again
 * whenever pairing (a qkmcmds process) changes the peers, without a restart.
 */
function followPeerCas(registry: PairRegistry, trust: (cas: readonly string[]) => void): NodeJS.Timeout {
  let known = '';
  const look = () => {
    const cas = registry.peerCas();
    if (cas.join('') !== known) trust(cas);
    known = cas.join('');
  };
  look();
  return setInterval(look, 1_000).unref();
}

/**
 * qkmd's side of the pair: its pair certificate (issued by the appliance CA on first
 * start as primary or secondary), the pair link's listener on [pair] host and port, which
 * applies what the peer pushes, and the replicator pushing this server's journal to each
 * [pair] peer.
 */
export async function startPairLink(ctx: Context, engine: KeyEngine, o: { trustPeerCas: (cas: readonly string[]) => void }): Promise<PairServer & { fingerprint: string }> {
  const tlsDir = tlsDirOf(ctx.config.paths.data_dir);
  const paths = tlsPaths(tlsDir);
  const creds = await ensurePairCredentials(paths, { serial: ctx.serial, now: new Date(ctx.world.now()) });
  // A library certificate revoked on either server is refused by both: the peer's
  // revocations come with its pushes (within a few seconds) and are kept here as ours.
  const adoptRevocations = (serials: unknown) => {
    if (!Array.isArray(serials) || serials.length === 0) return;
    const have = revokedSerials(paths.revoked);
    for (const s of serials) {
      const serial = normalizeSerial(String(s));
      if (serial === undefined || have.has(serial)) continue;
      revokeCertificates(tlsDir, { serial }, new Date(ctx.world.now()));
      ctx.log.warn({ serial }, 'library certificate revoked on the peer server: refused here too');
    }
  };
  const registry = new PairRegistry(ctx.config.paths.data_dir);
  const side = { dataDir: ctx.config.paths.data_dir, serial: ctx.serial, now: () => ctx.world.now() };
  const copies = new PeerCopies(engine);
  const offerTickets = offerTicketsOf(engine.tickets);
  offerTickets.reconcile(pendingOffers(side.dataDir));
  const server = await startPairServer({
    host: ctx.config.pair.host,
    port: ctx.config.pair.port,
    creds,
    registry,
    self: { serial: ctx.serial, version: VERSION, role: ctx.config.pair.role, caPem: await caCertificatePem(paths) },
    log: ctx.log,
    now: () => ctx.world.now(),
    handlers: {
      push: (request, peer) => {
        if (!Array.isArray(request.entries)) throw new PairError('PAIR_BAD_REQUEST', 'A push carries a list of entries.');
        adoptRevocations(request.revoked);
        return copies.apply(peer.serial, request.entries as ReplicatedEntry[], typeof request.last === 'number' ? request.last : undefined);
      },
      // A restored peer asks what this server holds of its keys (restore-sync.ts); its copy
      // of this server's keys went back with its keystore, so it is sent whole again.
      held: (request, peer) => {
        copies.resendWholeCopy(peer.serial);
        return { ...copies.heldFor(peer.serial, Array.isArray(request.sets) ? request.sets.map(String) : []) };
      },
      // The pair's one encryption certificate, with its key, for a peer that has none yet.
      [ENCRYPTION_KEY_OP]: (_request, peer) => {
        ctx.log.info({ peer: peer.serial }, "the pair's encryption key was given to the peer");
        ctx.audit.record({ action: 'encryption key shared with the peer', outcome: 'done', actor: `peer ${peer.serial}`, details: { peer: peer.serial } });
        return shareEncryptionKey(side);
      },
      // A partner's certificate the peer's administrator imported: the pair's, so kept here too.
      [PARTNER_OFFER_OP]: async (request, peer) => {
        const p = await storeOfferedPartner(side, request, peer.serial, offerTickets);
        ctx.audit.record({ action: 'partner certificate stored from the peer', outcome: 'done', actor: `peer ${peer.serial}`, details: { partner: p.name, fingerprint: p.fingerprint, replaced: p.replaced } });
        return { serial: ctx.serial };
      },
      [PARTNER_ASK_OP]: (request) => answerPartnerAsk(side, request),
    },
  });
  const replicator = new Replicator({
    addresses: peerAddresses(ctx.config), creds, registry, journal: engine.journal, copies, log: ctx.log, revoked: () => [...revokedSerials(paths.revoked)],
    // A partner's certificate imported here while the peer was down reaches it now.
    afterContact: (address) => sendPendingOffers({ side, creds, log: ctx.log, tickets: offerTickets }, address),
  });
  replicator.start();
  ctx.log.info({ host: server.host, port: server.port, fingerprint: creds.fingerprint }, 'pair link listening');
  const trust = followPeerCas(registry, o.trustPeerCas);
  const sync = startAutoSync({ side: pairSide(ctx), addresses: peerAddresses(ctx.config), engine, log: ctx.log });
  return {
    ...server,
    fingerprint: creds.fingerprint,
    stop: async () => {
      clearInterval(trust);
      await sync.stop();
      await replicator.stop();
      await server.stop();
    },
  };
}
