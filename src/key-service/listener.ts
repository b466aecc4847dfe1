import { ensureServerCredentials, removeBundleLeftovers, tlsDirOf } from '../pki/index.js';
import { KmipTlsServer, type FrameHandler, type FramesHandler, type OversizeHandler, type RefusalCode } from '../kmip/tls/index.js';
import type { QkmConfig } from '../config/config.js';
import { ConfigError, QkmError } from '../errors.js';
import { type KeyServiceContext, libraryRevocation } from './library-revocation.js';

export interface KeyService {
  host: string;
  port: number;
  server: KmipTlsServer;
  stop(): Promise<void>;
}

/**
 * The key server on the network: the appliance's TLS credentials (created on first
 * start, renewed when needed) and the mutually authenticated listener on [kmip] port.
 * What a message means is the handler's business; this module only puts it on a socket.
 */
export async function startKeyService(
  ctx: KeyServiceContext,
  handlers: { frame: FrameHandler; frames?: FramesHandler; oversize?: OversizeHandler; onRefusal?: (code: RefusalCode) => void },
): Promise<KeyService> {
  const { hostname } = ctx.config.server;
  const { host, port } = ctx.config.kmip;
  const tlsDir = tlsDirOf(ctx.config.paths.data_dir);
  const limits = connectionLimits(ctx.config.kmip);
  const altNames = ['localhost', '127.0.0.1', '::1', ...(host !== '0.0.0.0' && host !== '::' ? [host] : [])];
  const creds = await ensureServerCredentials(tlsDir, { hostname, altNames, now: new Date(ctx.world.now()) });
  if (creds.caCreated) ctx.log.info({ tlsDir }, 'appliance CA created');
  if (creds.serverIssued) ctx.log.info({ reason: creds.serverIssued }, 'server certificate issued');
  if (creds.serverEcdsaIssued) ctx.log.info({ reason: creds.serverEcdsaIssued }, 'ECDSA server certificate issued');
  const leftovers = removeBundleLeftovers(tlsDir);
  if (leftovers > 0) ctx.log.warn({ removed: leftovers }, 'removed staging folders of killed library bundles (each held a private key)');
  const revocation = libraryRevocation(ctx, tlsDir);
  const guarded = revocation.guard(handlers);
  const server = new KmipTlsServer({
    host, port, ...limits, handler: guarded.frame, onFrames: guarded.frames, onOversize: guarded.oversize, authorize: revocation.authorize, logger: ctx.log,
    onRefusal: handlers.onRefusal,
    randomBytes: (n) => ctx.world.randomBytes(n),
    tls: {
      caCertPem: creds.caCertPem,
      serverCertPem: creds.serverCertPem,
      serverKeyPem: creds.serverKeyPem,
      serverEcdsaCertPem: creds.serverEcdsaCertPem,
      serverEcdsaKeyPem: creds.serverEcdsaKeyPem,
    },
  });
  let bound: { host: string; port: number };
  try {
    bound = await server.listen();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such address here' : (e as Error).message;
    throw new QkmError('KMIP_LISTEN', `The key server cannot listen on ${host}:${port} (${why}); stop what uses it, or set [kmip] host and port (QKM_KMIP_HOST, QKM_KMIP_PORT).`, { cause: e });
  }
  ctx.log.info(bound, 'key server listening');
  return { host: bound.host, port: bound.port, server, stop: () => server.stop() };
}

/** The [kmip] connection bounds, checked against each other (each alone is checked on load). */
function connectionLimits(kmip: QkmConfig['kmip']): { maxConnections: number; maxUnauthenticated: number; maxUnauthenticatedPerAddress: number } {
  const { max_connections: total, max_unauthenticated: unauthenticated, max_unauthenticated_per_address: perAddress } = kmip;
  if (unauthenticated >= total) {
    throw new ConfigError('CONFIG_KMIP_LIMITS', `kmip.max_unauthenticated is ${unauthenticated}, but it must be less than kmip.max_connections (${total}) so that libraries always find room; lower it or raise max_connections.`);
  }
  if (perAddress > unauthenticated) {
    throw new ConfigError('CONFIG_KMIP_LIMITS', `kmip.max_unauthenticated_per_address is ${perAddress}, but it must be at most kmip.max_unauthenticated (${unauthenticated}); lower it.`);
  }
  return { maxConnections: total, maxUnauthenticated: unauthenticated, maxUnauthenticatedPerAddress: perAddress };
}
