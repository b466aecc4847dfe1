import { type KeyEngine, PeerCopies, type ReplicatedEntry } from '../engine/index.js';
import { ensurePairCredentials, tlsDirOf, tlsPaths } from '../pki/index.js';
import { ENCRYPTION_KEY_OP, shareEncryptionKey } from '../pair/encryption-share.js';
import { PairError } from '../pair/errors.js';
import { startPairServer, type PairServer } from '../pair/link-server.js';
import { PairRegistry } from '../pair/registry.js';
import { Replicator } from '../pair/replicator.js';
import { peerAddresses } from '../pair/settings.js';
import { type Context, VERSION } from './context.js';

/**
 * qkmd's side of the pair: its pair certificate (issued by the appliance CA on first
 * start as primary or secondary), the pair link's listener on [pair] host and port, which
 * applies what the peer pushes, and the replicator pushing this server's journal to each
 * [pair] peer.
 */
export async function startPairLink(ctx: Context, engine: KeyEngine): Promise<PairServer & { fingerprint: string }> {
  const creds = await ensurePairCredentials(tlsPaths(tlsDirOf(ctx.config.paths.data_dir)), { serial: ctx.serial, now: new Date(ctx.world.now()) });
  const registry = new PairRegistry(ctx.config.paths.data_dir);
  const copies = new PeerCopies(engine);
  const server = await startPairServer({
    host: ctx.config.pair.host,
    port: ctx.config.pair.port,
    creds,
    registry,
    self: { serial: ctx.serial, version: VERSION, role: ctx.config.pair.role },
    log: ctx.log,
    now: () => ctx.world.now(),
    handlers: {
      push: (request, peer) => {
        if (!Array.isArray(request.entries)) throw new PairError('PAIR_BAD_REQUEST', 'A push carries a list of entries.');
        return copies.apply(peer.serial, request.entries as ReplicatedEntry[], typeof request.last === 'number' ? request.last : undefined);
      },
      // A restored peer asks what this server holds of its keys (restore-sync.ts).
      held: (_request, peer) => ({ ...copies.heldFor(peer.serial) }),
      // The pair's one encryption certificate, with its key, for a peer that has none yet.
      [ENCRYPTION_KEY_OP]: (_request, peer) => {
        ctx.log.info({ peer: peer.serial }, "the pair's encryption key was given to the peer");
        ctx.audit.record({ action: 'encryption key shared with the peer', outcome: 'done', actor: `peer ${peer.serial}`, details: { peer: peer.serial } });
        return shareEncryptionKey({ dataDir: ctx.config.paths.data_dir, serial: ctx.serial, now: () => ctx.world.now() });
      },
    },
  });
  const replicator = new Replicator({ addresses: peerAddresses(ctx.config), creds, registry, journal: engine.journal, copies, log: ctx.log });
  replicator.start();
  ctx.log.info({ host: server.host, port: server.port, fingerprint: creds.fingerprint }, 'pair link listening');
  return {
    ...server,
    fingerprint: creds.fingerprint,
    stop: async () => {
      await replicator.stop();
      await server.stop();
    },
  };
}
