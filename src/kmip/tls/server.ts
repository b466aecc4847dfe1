import { randomBytes } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { SystemClock, type Clock, type TimerHandle } from '../../../drivers/clock.js';
import { KmipConnection, type FrameHandler, type FramesHandler, type OversizeHandler } from './connection.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frame-reader.js';
import { authorized, describeHandshakeFailure, identityFromCertificate, unexpired, type Authorize } from './identity.js';
import type { TransportLogger } from './logger.js';
import { RefusalLog, type Refusal, type RefusalLogLimits } from './refusal-log.js';
import type { RefusalCode } from './refusal-codes.js';
import { keyServerTlsOptions, TICKET_KEY_BYTES, TICKET_KEY_ROTATION_MS, type ServerTlsMaterial } from './tls-policy.js';
import { UnauthenticatedConnections, type ShedReason } from './unauthenticated.js';

export const KMIP_PORT = 6000;

export interface KmipTlsServerOptions {
  /** Address to bind; 0.0.0.0 on the appliance, 127.0.0.1 in tests. */
  host: string;
  /** TCP port; 0 picks a free one (read it from `port` after `listen`). */
  port: number;
  tls: ServerTlsMaterial;
  handler: FrameHandler;
  /** Pipelined requests answered together (see FramesHandler); without it, one at a time. */
  onFrames?: FramesHandler;
  onOversize?: OversizeHandler;
  /** Asked at every handshake after the certificate checks, before any message is read. */
  authorize?: Authorize;
  logger: TransportLogger;
  maxFrameBytes?: number;
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  frameTimeoutMs?: number;
  maxConnections?: number;
  /** Connections not yet through the handshake with a valid certificate; below maxConnections. */
  maxUnauthenticated?: number;
  maxUnauthenticatedPerAddress?: number;
  maxQueuedFrames?: number;
  /** Times the refusal log's one-minute summaries and the ticket key's rotation; judges certificate expiry on resumed sessions. */
  clock?: Clock;
  /** Where session ticket keys come from (node:crypto's randomBytes by default). */
  randomBytes?: (n: number) => Buffer;
  /** How often the session ticket key is replaced (TICKET_KEY_ROTATION_MS by default). */
  ticketKeyRotationMs?: number;
  /** How many refusals are logged one by one (see RefusalLog); REFUSAL_LOG_LIMITS by default. */
  refusalLog?: RefusalLogLimits;
  /** Told of every refused client, each once, with the reason's code (for counting; the log has the detail). */
  onRefusal?: (code: RefusalCode) => void;
}

export const TRANSPORT_DEFAULTS = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  handshakeTimeoutMs: 10_000,
  // Libraries hold a connection open between tape mounts; five quiet minutes ends it.
  idleTimeoutMs: 5 * 60_000,
  frameTimeoutMs: 10_000,
  maxConnections: 2048,
  // A library needs one handshake at a time per connection it opens; these leave room
  // for hundreds of libraries connecting at once, and for 1,792 authenticated connections.
  maxUnauthenticated: 256,
  maxUnauthenticatedPerAddress: 32,
  maxQueuedFrames: 32,
  ticketKeyRotationMs: TICKET_KEY_ROTATION_MS,
} as const;

/** Per TCP connection, from accept to close, whether or not its handshake succeeded. */
interface Tracked {
  raw: Socket;
  remoteAddress: string;
  remotePort: number;
  handshakeTimer?: NodeJS.Timeout;
  connection?: KmipConnection;
  /** Set once the refusal has been logged, so each refused connection is logged once. */
  refusalLogged: boolean;
}

const SHED_REASONS: Record<ShedReason | 'connections', { code: RefusalCode; reason: string }> = {
  address: { code: 'unauthenticated_per_address', reason: 'too many unauthenticated connections from this address; the oldest is closed' },
  total: { code: 'unauthenticated_total', reason: 'too many unauthenticated connections; the oldest is closed' },
  connections: { code: 'connection_limit', reason: 'connection limit reached; the oldest unauthenticated connection is closed' },
};

/**
 * Node gives no public link from a TLSSocket back to the TCP socket it wraps, and a socket
 * refused for a bad certificate has lost its address by the time Node reports it. The link
 * is the wrapped socket (`_parent`); without it the refusal is still logged, minus address.
 */
function rawSocketOf(tlsSocket: TLSSocket): Socket | undefined {
  return (tlsSocket as unknown as { _parent?: Socket })._parent;
}

/**
 * The key server's transport: TLS 1.2/1.3 with mutual authentication on port 6000, TTLV
 * framing, one request at a time per connection, timeouts and a connection bound. It knows
 * nothing of KMIP semantics: every complete message goes to the injected handler.
 */
export class KmipTlsServer {
  private readonly opts: Required<Omit<KmipTlsServerOptions, 'onOversize' | 'onFrames' | 'authorize' | 'clock' | 'refusalLog' | 'randomBytes' | 'onRefusal'>> & Pick<KmipTlsServerOptions, 'onOversize' | 'onFrames' | 'authorize' | 'onRefusal'>;
  private readonly clock: Clock;
  private readonly random: (n: number) => Buffer;
  private rotation: TimerHandle | undefined;
  private readonly net: NetServer;
  private readonly tls: TlsServer;
  /** Live TCP connections, for the connection bound, pause() and stop(). */
  private readonly tracked = new Map<Socket, Tracked>();
  /**
   * Every connection's record, kept until the socket is collected: Node reports a refused
   * certificate after the TCP socket has closed, and the log line still needs its address.
   */
  private readonly records = new WeakMap<Socket, Tracked>();
  private readonly unauthenticated: UnauthenticatedConnections<Tracked>;
  private readonly refusals: RefusalLog;
  private nextId = 1;
  private boundPort: number | undefined;
  private isPaused = false;
  private refusedWhilePaused = 0;
  private refusedOverLimit = 0;

  constructor(options: KmipTlsServerOptions) {
    this.opts = { ...TRANSPORT_DEFAULTS, ...stripUndefined(options) } as typeof this.opts;
    if (!(this.opts.maxUnauthenticatedPerAddress <= this.opts.maxUnauthenticated && this.opts.maxUnauthenticated < this.opts.maxConnections)) {
      throw new RangeError('KmipTlsServer needs maxUnauthenticatedPerAddress <= maxUnauthenticated < maxConnections');
    }
    this.unauthenticated = new UnauthenticatedConnections(this.opts);
    this.clock = options.clock ?? new SystemClock();
    this.random = options.randomBytes ?? randomBytes;
    this.refusals = new RefusalLog(this.opts.logger, this.clock, options.refusalLog);
    // The TLS server never listens itself: we accept TCP first, so that paused or
    // over-limit connections are dropped before any TLS work, and each handshake can be
    // given an absolute deadline (Node's handshakeTimeout is reset by every byte).
    this.tls = createTlsServer(keyServerTlsOptions(this.opts.tls, this.opts.handshakeTimeoutMs, this.random(TICKET_KEY_BYTES)));
    this.tls.on('secureConnection', (socket: TLSSocket) => this.onSecure(socket));
    this.tls.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => this.onHandshakeError(err, socket));
    // No Nagle: KMIP is request and response, and a reply held back waiting for the ACK of
    // the one before it (pipelined requests) stalls the client for a delayed-ACK period.
    this.net = createNetServer({ allowHalfOpen: true, noDelay: true }, (raw) => this.onTcp(raw));
  }

  /**
   * Accepts, from the next handshake on, library certificates of these CAs too besides its
   * own: the other servers' of its pair, whose library bundles trust this server.
   */
  trustAlso(caPems: readonly string[]): void {
    const material = { ...this.opts.tls, caCertPem: [this.opts.tls.caCertPem, ...caPems].map((p) => p.trimEnd()).join('\n') };
    // The same ticket keys: sessions made before keep resuming.
    this.tls.setSecureContext(keyServerTlsOptions(material, this.opts.handshakeTimeoutMs, this.tls.getTicketKeys()));
  }

  /** The bound port (useful when listening on port 0). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('KmipTlsServer.port read before listen()');
    return this.boundPort;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Open TCP connections, including those still in their handshake. */
  get connectionCount(): number {
    return this.tracked.size;
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.net.once('error', onError);
      this.net.listen(this.opts.port, this.opts.host, () => {
        this.net.off('error', onError);
        resolve();
      });
    });
    this.boundPort = (this.net.address() as AddressInfo).port;
    this.scheduleTicketKeyRotation();
    this.opts.logger.info({ host: this.opts.host, port: this.boundPort }, 'key server listening');
    return { host: this.opts.host, port: this.boundPort };
  }

  /**
   * A new session ticket key, from now on: tickets sealed under the one before no longer
   * resume (their clients make one full handshake). The key is never written anywhere.
   */
  rotateTicketKeys(): void {
    this.tls.setTicketKeys(this.random(TICKET_KEY_BYTES));
  }

  private scheduleTicketKeyRotation(): void {
    this.rotation = this.clock.setTimeout(() => {
      this.rotateTicketKeys();
      this.scheduleTicketKeyRotation();
    }, this.opts.ticketKeyRotationMs);
  }

  /** Close the listener and every connection. */
  async stop(): Promise<void> {
    if (this.rotation) this.clock.clearTimeout(this.rotation);
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    this.closeAll();
    await closed;
    this.refusals.flush();
    this.opts.logger.info({ port: this.boundPort }, 'key server stopped');
  }

  /** The admin stopped the key service: close every connection and refuse new ones. */
  pause(): void {
    if (this.isPaused) return;
    this.isPaused = true;
    const open = this.tracked.size;
    this.closeAll();
    this.opts.logger.info({ closedConnections: open }, 'key service paused; refusing connections');
  }

  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.opts.logger.info({ refusedWhilePaused: this.refusedWhilePaused }, 'key service resumed');
    this.refusedWhilePaused = 0;
  }

  private closeAll(): void {
    for (const t of [...this.tracked.values()]) {
      if (t.connection) t.connection.destroy();
      else t.raw.destroy();
    }
  }

  private onTcp(raw: Socket): void {
    if (this.isPaused) {
      this.refusedWhilePaused++;
      this.opts.onRefusal?.('key_service_stopped');
      raw.destroy();
      return;
    }
    if (this.tracked.size >= this.opts.maxConnections) {
      // Authenticated libraries hold the rest: a newcomer may still take an unauthenticated one's place.
      const oldest = this.unauthenticated.takeOldest();
      if (oldest) this.shed(oldest, 'connections');
    }
    if (this.tracked.size >= this.opts.maxConnections) {
      // Log the first refusal of a burst, and the count when there is room again.
      if (this.refusedOverLimit++ === 0) {
        this.opts.logger.warn({ maxConnections: this.opts.maxConnections, remoteAddress: raw.remoteAddress }, 'connection limit reached; refusing new connections');
      }
      this.opts.onRefusal?.('connection_limit');
      raw.destroy();
      return;
    }
    const tracked: Tracked = {
      raw,
      remoteAddress: raw.remoteAddress ?? 'unknown',
      remotePort: raw.remotePort ?? 0,
      refusalLogged: false,
    };
    for (const { conn, reason } of this.unauthenticated.admit(tracked)) this.shed(conn, reason);
    this.tracked.set(raw, tracked);
    this.records.set(raw, tracked);
    raw.on('close', () => this.onTcpClose(tracked));
    raw.on('error', () => {
      // Reported through the TLS socket or the handshake error; nothing more to say here.
    });
    tracked.handshakeTimer = setTimeout(() => {
      if (tracked.connection) return;
      this.logRefusal(tracked, { code: 'handshake_timeout', reason: 'handshake timeout' });
      raw.destroy();
    }, this.opts.handshakeTimeoutMs);
    // TLS starts with the client's first bytes: a connection that says nothing costs a
    // TCP socket, not a TLS session (the TLS socket replays what was read meanwhile).
    raw.once('readable', () => {
      if (raw.destroyed) return;
      if (raw.readableLength > 0) return this.tls.emit('connection', raw);
      this.logRefusal(tracked, { code: 'client_closed', reason: 'client closed the connection before the handshake' });
      raw.destroy();
    });
  }

  /** Closes an unauthenticated connection to make room for a newer one. */
  private shed(tracked: Tracked, reason: ShedReason | 'connections'): void {
    this.logRefusal(tracked, SHED_REASONS[reason]);
    this.tracked.delete(tracked.raw);
    tracked.raw.destroy();
  }

  private onTcpClose(tracked: Tracked): void {
    clearTimeout(tracked.handshakeTimer);
    this.unauthenticated.remove(tracked);
    this.tracked.delete(tracked.raw);
    if (this.refusedOverLimit > 0 && this.tracked.size < this.opts.maxConnections) {
      this.opts.logger.info({ refused: this.refusedOverLimit }, 'below the connection limit again');
      this.refusedOverLimit = 0;
    }
  }

  private logRefusal(tracked: Tracked | undefined, why: { code: RefusalCode; reason: string }): void {
    if (tracked?.refusalLogged) return;
    if (tracked) tracked.refusalLogged = true;
    this.opts.onRefusal?.(why.code);
    const refusal: Refusal = { remoteAddress: tracked?.remoteAddress, remotePort: tracked?.remotePort, reason: why.reason };
    this.refusals.refused(refusal, 'refused a key server client during the TLS handshake');
  }

  private onHandshakeError(err: NodeJS.ErrnoException, socket: TLSSocket): void {
    const raw = rawSocketOf(socket);
    const tracked = raw ? this.records.get(raw) : undefined;
    if (tracked) clearTimeout(tracked.handshakeTimer);
    // Our own teardown (pause, stop, handshake deadline) has already been accounted for.
    if (this.isPaused || !this.net.listening) return;
    const authorizationError = (socket as { authorizationError?: unknown }).authorizationError;
    this.logRefusal(tracked, describeHandshakeFailure(err.code, authorizationError ? String(authorizationError) : undefined));
  }

  private onSecure(socket: TLSSocket): void {
    const raw = rawSocketOf(socket);
    const tracked = raw ? this.records.get(raw) : undefined;
    if (tracked) clearTimeout(tracked.handshakeTimer);
    if (this.isPaused) {
      socket.destroy();
      return;
    }
    // A resumed session carries the certificate of its first handshake, which OpenSSL does
    // not check again: its expiry is checked here, and revocation (authorize) as for any.
    const identity = unexpired(identityFromCertificate(socket.getPeerCertificate()), new Date(this.clock.now()));
    const result = authorized(identity, this.opts.authorize);
    const remoteAddress = socket.remoteAddress ?? tracked?.remoteAddress ?? 'unknown';
    const remotePort = socket.remotePort ?? tracked?.remotePort ?? 0;
    if (!result.ok) {
      this.logRefusal(tracked ?? { raw: socket, remoteAddress, remotePort, refusalLogged: false }, result);
      socket.destroy();
      return;
    }
    if (tracked) this.unauthenticated.remove(tracked);
    const info = { id: this.nextId++, identity: result.identity, remoteAddress, remotePort };
    const handlers = { frame: this.opts.handler, frames: this.opts.onFrames, oversize: this.opts.onOversize };
    const connection = new KmipConnection(info, socket, handlers, this.opts, this.opts.logger);
    if (tracked) {
      tracked.connection = connection;
    } else {
      // Without the TCP link, track the TLS socket itself so pause() and stop() still reach it.
      const self: Tracked = { raw: socket, remoteAddress, remotePort, connection, refusalLogged: false };
      this.tracked.set(socket, self);
      socket.on('close', () => this.onTcpClose(self));
    }
    this.opts.logger.info(
      {
        conn: info.id, library: info.identity.library, fingerprint256: info.identity.fingerprint256, remoteAddress,
        protocol: socket.getProtocol(), cipher: socket.getCipher().name, resumed: socket.isSessionReused(),
      },
      'key server client connected',
    );
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
