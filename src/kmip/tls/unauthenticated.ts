export interface UnauthenticatedLimits {
  /** Connections not yet authenticated, from all addresses together. */
  maxUnauthenticated: number;
  /** The same, from one source address. */
  maxUnauthenticatedPerAddress: number;
}

export type ShedReason = 'address' | 'total';

/**
 * The connections that have not yet finished a TLS handshake with a valid client
 * certificate, in the order they were accepted. Anyone can open a TCP connection and say
 * nothing, so these are bounded below the server's connection cap: the oldest give way to
 * a newcomer, first those of the newcomer's own address (a flood from one address only
 * displaces itself), and a library that completes its handshake leaves this set and is
 * never displaced.
 */
export class UnauthenticatedConnections<C extends { remoteAddress: string }> {
  /** Sets iterate in insertion order: the first is the oldest. */
  private readonly all = new Set<C>();
  private readonly byAddress = new Map<string, Set<C>>();

  constructor(private readonly limits: UnauthenticatedLimits) {}

  get size(): number {
    return this.all.size;
  }

  /** Counts `conn` in, and returns those that must be closed to make room for it (already counted out). */
  admit(conn: C): { conn: C; reason: ShedReason }[] {
    const shed: { conn: C; reason: ShedReason }[] = [];
    const sameAddress = this.byAddress.get(conn.remoteAddress);
    while (sameAddress && sameAddress.size >= this.limits.maxUnauthenticatedPerAddress) {
      shed.push({ conn: this.take(first(sameAddress)!), reason: 'address' });
    }
    while (this.all.size >= this.limits.maxUnauthenticated) {
      shed.push({ conn: this.take(first(this.all)!), reason: 'total' });
    }
    this.all.add(conn);
    let set = this.byAddress.get(conn.remoteAddress);
    if (!set) this.byAddress.set(conn.remoteAddress, (set = new Set()));
    set.add(conn);
    return shed;
  }

  /** The oldest, to make room for a connection when the server is at its overall cap. */
  takeOldest(): C | undefined {
    const oldest = first(this.all);
    return oldest && this.take(oldest);
  }

  /** Authenticated or closed: no longer counted. Harmless for one not counted. */
  remove(conn: C): void {
    if (!this.all.delete(conn)) return;
    const set = this.byAddress.get(conn.remoteAddress)!;
    set.delete(conn);
    if (set.size === 0) this.byAddress.delete(conn.remoteAddress);
  }

  private take(conn: C): C {
    this.remove(conn);
    return conn;
  }
}

function first<T>(set: Set<T>): T | undefined {
  for (const x of set) return x;
  return undefined;
}
