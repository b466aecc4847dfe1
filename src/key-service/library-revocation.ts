import { RevocationWatch, tlsPaths } from '../pki/index.js';
import type { ClientIdentity, ConnectionInfo, FrameHandler, FramesHandler, OversizeHandler } from '../kmip/tls/index.js';
import type { QkmConfig } from '../config/config.js';
import type { World } from '../engine/index.js';
import type { Logger } from '../logs/logger.js';

/** What the key server needs of the program that runs it: its settings, clock and log. */
export interface KeyServiceContext {
  config: QkmConfig;
  world: World;
  log: Logger;
}

/** A request on an open connection looks at the revocation folder at most this often. */
const OPEN_CONNECTION_CHECK_MS = 250;

export interface KeyServerHandlers {
  frame: FrameHandler;
  frames?: FramesHandler;
  oversize?: OversizeHandler;
}

/**
 * Revoked library certificates, as the running key server enforces them: refused at the
 * handshake (every handshake looks at the register), and a connection opened before the
 * revocation is closed at its next request, unanswered.
 */
export function libraryRevocation(ctx: KeyServiceContext, tlsDir: string) {
  const watch = new RevocationWatch(tlsPaths(tlsDir).revoked, () => ctx.world.now(), (err) =>
    ctx.log.error({ err }, 'cannot read the certificate revocations; the ones known before stay in force'));
  const closed = new WeakSet<ConnectionInfo>();
  const refusal = (id: ClientIdentity) => `client certificate ${id.serialNumber} of "${id.library}" is revoked`;

  /** True (and logged once) when the connection's certificate was revoked after it connected. */
  const revokedSince = (conn: ConnectionInfo): boolean => {
    if (!watch.isRevoked(conn.identity.serialNumber, OPEN_CONNECTION_CHECK_MS)) return false;
    if (!closed.has(conn)) {
      closed.add(conn);
      ctx.log.warn({ conn: conn.id, library: conn.identity.library, remoteAddress: conn.remoteAddress, reason: refusal(conn.identity) }, 'closed a key server connection: its certificate was revoked');
    }
    return true;
  };

  return {
    authorize: (id: ClientIdentity): string | undefined => (watch.isRevoked(id.serialNumber) ? refusal(id) : undefined),
    guard: (h: KeyServerHandlers): KeyServerHandlers => ({
      frame: (conn, frame) => (revokedSince(conn) ? Promise.resolve(null) : h.frame(conn, frame)),
      frames: h.frames && ((conn, frames) => (revokedSince(conn) ? Promise.resolve(frames.map(() => null)) : h.frames!(conn, frames))),
      oversize: h.oversize,
    }),
  };
}
