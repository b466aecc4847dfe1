import type { TLSSocket } from 'node:tls';
import type { ServerAddress } from './config.js';

/**
 * The last TLS session each key server handed this library (a ticket, at TLS 1.2 or 1.3),
 * so that the next connection to it resumes instead of paying for both certificates'
 * signatures again. In memory only: a restarted library makes one full handshake per server.
 */
export class TlsSessions {
  private readonly byServer = new Map<string, Buffer>();

  /** The session to offer when connecting to `server`, if it gave one. */
  for(server: ServerAddress): Buffer | undefined {
    return this.byServer.get(keyOf(server));
  }

  /** Keeps every session `server` hands out on `socket` (attach before the handshake: TLS 1.2 gives it there). */
  keepFrom(server: ServerAddress, socket: TLSSocket): void {
    socket.on('session', (session: Buffer) => this.byServer.set(keyOf(server), session));
  }
}

const keyOf = (s: ServerAddress): string => `${s.host}:${s.port}`;
