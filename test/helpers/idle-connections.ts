import { connect as connectTcp, type Socket } from 'node:net';

/** A TCP connection that never sends a byte, and whether the server has closed it. */
export interface IdleConnection {
  socket: Socket;
  closed: boolean;
}

/**
 * `n` TCP connections to 127.0.0.1:`port` from `localAddress` (any 127.x.y.z is this
 * machine) that never send a byte, opened one after the other so the server accepts them
 * in this order. A connection the server refuses at once comes back already closed.
 */
export async function openIdleConnections(port: number, n: number, localAddress = '127.0.0.1'): Promise<IdleConnection[]> {
  const idle: IdleConnection[] = [];
  for (let i = 0; i < n; i++) {
    const socket = connectTcp({ port, host: '127.0.0.1', localAddress });
    const entry = { socket, closed: false };
    socket.on('error', () => {});
    socket.on('close', () => (entry.closed = true));
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => resolve());
    });
    idle.push(entry);
  }
  return idle;
}

/** Which of `idle` the server has closed, in opening order, as a string of "x" (closed) and "." (open). */
export function closedPattern(idle: IdleConnection[]): string {
  return idle.map((c) => (c.closed ? 'x' : '.')).join('');
}
