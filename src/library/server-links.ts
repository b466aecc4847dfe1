/**
 * The library's links to its key servers and the manual's failover rule: requests go to
 * the primary first; once it fails they go to the secondary, and stay there until the
 * library restarts (a new process starts on the primary) or the secondary fails in turn.
 * Each drive has its own connection to each server, opened when first needed and
 * dropped when it breaks.
 */
import type { LibraryCredentials } from './bundle.js';
import type { ServerAddress } from './config.js';
import { LibraryError } from './errors.js';
import { KmipConnection } from './kmip-connection.js';
import { TlsSessions } from './tls-sessions.js';

export interface FailoverEvent {
  from: ServerAddress;
  to: ServerAddress;
  why: string;
}

export function isUnreachable(e: unknown): e is LibraryError {
  return e instanceof LibraryError && e.code === 'SERVER_UNREACHABLE';
}

export class ServerLinks {
  private current = 0;
  private readonly connections = new Map<string, Promise<KmipConnection>>();
  /** Each drive's connection after the first resumes the server's session (no certificate signatures). */
  private readonly sessions = new TlsSessions();

  constructor(
    readonly servers: readonly ServerAddress[],
    private readonly creds: LibraryCredentials,
    private readonly timeoutMs: number,
    private readonly onFailover: (e: FailoverEvent) => void,
  ) {}

  get currentServer(): ServerAddress {
    return this.servers[this.current]!;
  }

  /** The servers in the order a request tries them: the current one, then the others. */
  inOrder(): ServerAddress[] {
    return this.servers.map((_, i) => this.servers[(this.current + i) % this.servers.length]!);
  }

  /** Runs `work` on this server, whatever the current one is; throws SERVER_UNREACHABLE if it cannot. */
  async on<T>(server: ServerAddress, channel: string, work: (conn: KmipConnection) => Promise<T>): Promise<T> {
    const conn = await this.connection(server, channel);
    try {
      return await work(conn);
    } finally {
      if (!conn.open) this.forget(server, channel, conn);
    }
  }

  /** Leaves `from` for the next server, unless another request already has. */
  failOver(from: ServerAddress, why: string): void {
    if (this.currentServer !== from || this.servers.length < 2) return;
    this.current = (this.current + 1) % this.servers.length;
    this.onFailover({ from, to: this.currentServer, why });
  }

  close(): void {
    for (const p of this.connections.values()) p.then((c) => c.close(), () => {});
    this.connections.clear();
  }

  /** The channel's connection to the server; one that broke while idle (the server restarted) is opened again. */
  private async connection(server: ServerAddress, channel: string): Promise<KmipConnection> {
    const key = `${server.role}/${channel}`;
    const cached = this.connections.get(key);
    if (cached) {
      const conn = await cached.catch(() => undefined);
      if (conn?.open) return conn;
      if (this.connections.get(key) === cached) this.connections.delete(key);
    }
    let opening = this.connections.get(key);
    if (!opening) {
      opening = KmipConnection.open(server, this.creds, this.timeoutMs, this.sessions);
      this.connections.set(key, opening);
      opening.catch(() => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
      });
    }
    return opening;
  }

  private forget(server: ServerAddress, channel: string, conn: KmipConnection): void {
    const key = `${server.role}/${channel}`;
    void this.connections.get(key)?.then((c) => {
      if (c === conn) this.connections.delete(key);
    });
  }
}
