import { connect as connectTcp, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../drivers/clock.js';
import type { KmipTlsServer } from '../../src/kmip/tls/index.js';
import { closedPattern, openIdleConnections, type IdleConnection } from '../helpers/idle-connections.js';
import {
  connectClient,
  echoHandler,
  FrameCollector,
  makeTlsFixture,
  sleep,
  startServer,
  ttlvFrame,
  type TlsFixture,
} from '../helpers/tls-fixtures.js';

/**
 * Anyone who can reach port 6000 can open TCP connections and say nothing. These tests
 * open such connections from several loopback addresses (127.0.0.x) and check that a
 * library with a valid certificate still gets in, that the oldest strangers give way
 * first, and that refusing them does not write a log line each.
 */

let fx: TlsFixture;
let server: KmipTlsServer | undefined;
const sockets: Socket[] = [];

beforeAll(async () => {
  fx = await makeTlsFixture();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.stop();
  server = undefined;
});
afterAll(async () => {
  await fx?.cleanup();
});

const LIMITS = { maxConnections: 64, maxUnauthenticated: 16, maxUnauthenticatedPerAddress: 8 };

/** Idle connections (see openIdleConnections), closed after each test. */
async function openIdle(port: number, n: number, localAddress = '127.0.0.1'): Promise<IdleConnection[]> {
  const idle = await openIdleConnections(port, n, localAddress);
  sockets.push(...idle.map((c) => c.socket));
  return idle;
}

/**
 * Waits until at least `n` of `conns` have been closed by the server (a close reaches the
 * client a little later), then a moment more so that one too many would show.
 */
async function closedAtLeast(conns: IdleConnection[], n: number): Promise<void> {
  const until = Date.now() + 5000;
  while (conns.filter((c) => c.closed).length < n && Date.now() < until) await sleep(20);
  await sleep(100);
}

/** A library connecting from `localAddress`: 'answered' when its request comes back. */
async function libraryExchange(port: number, localAddress = '127.0.0.1'): Promise<string> {
  try {
    const socket = await connectClient(fx, port, fx.good, { localAddress });
    const replies = new FrameCollector(socket);
    const request = ttlvFrame(24, 0x5c);
    socket.write(request);
    const [reply] = await replies.waitFor(1, 3000);
    socket.destroy();
    return reply!.equals(request) ? 'answered' : 'wrong answer';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

/** A client that speaks HTTP to the key server; resolves when the server has closed it. */
function httpClient(port: number, localAddress: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connectTcp({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: qkm\r\n\r\n'));
    socket.on('close', () => resolve());
  });
}

const refusals = (log: { lines: { msg: string; fields: Record<string, unknown> }[] }) => log.lines.filter((l) => l.msg.startsWith('refused'));

describe('connections that have not authenticated', () => {
  it('are bounded per address, the oldest closed first, and a library still gets in', async () => {
    const started = await startServer(fx, { ...LIMITS, handler: echoHandler });
    server = started.server;
    const idle = await openIdle(server.port, 20);
    await closedAtLeast(idle, 12);
    // Only the newest 8 from this address are kept; the 12 before them were closed, oldest first.
    expect(closedPattern(idle)).toBe('x'.repeat(12) + '.'.repeat(8));

    // From the same address: the library's own connection displaces one more stranger.
    expect(await libraryExchange(server.port)).toBe('answered');
    await closedAtLeast(idle, 13);
    expect(closedPattern(idle)).toBe('x'.repeat(13) + '.'.repeat(7));
    const reasons = refusals(started.log).map((l) => l.fields.reason);
    expect(reasons[0]).toMatch(/too many unauthenticated connections from this address/);
  });

  it('keeps room for authenticated libraries when strangers come from many addresses', async () => {
    const started = await startServer(fx, { ...LIMITS, handler: echoHandler });
    server = started.server;
    // 8 addresses x 8 connections: every address within its share, 64 in all, which is
    // the whole connection limit; only 16 of them may wait unauthenticated.
    const byAddress: IdleConnection[][] = [];
    for (let a = 1; a <= 8; a++) byAddress.push(await openIdle(server.port, 8, `127.0.1.${a}`));
    await closedAtLeast(byAddress.flat(), 48);
    const open = byAddress.map((conns) => conns.filter((c) => !c.closed).length);
    // The oldest overall went first: the first six addresses lost all theirs.
    expect(open).toEqual([0, 0, 0, 0, 0, 0, 8, 8]);
    expect(server.connectionCount).toBe(16);
    expect(await libraryExchange(server.port, '127.0.2.1')).toBe('answered');
  });

  it('a flood from one address does not starve other addresses', async () => {
    const started = await startServer(fx, { ...LIMITS, handler: echoHandler });
    server = started.server;
    // Two quiet neighbours, each with a few connections still before their handshake.
    const neighbourA = await openIdle(server.port, 3, '127.0.3.1');
    const neighbourB = await openIdle(server.port, 3, '127.0.3.2');
    // 100 connections from one address: more than the whole connection limit.
    const flood = await openIdle(server.port, 100, '127.0.3.3');
    await closedAtLeast(flood, 100 - LIMITS.maxUnauthenticatedPerAddress);
    expect(flood.filter((c) => !c.closed)).toHaveLength(LIMITS.maxUnauthenticatedPerAddress);
    // The flood displaced only its own connections.
    expect([...neighbourA, ...neighbourB].filter((c) => c.closed)).toHaveLength(0);
    // Libraries on other addresses, and on the flooding one, are served.
    expect(await libraryExchange(server.port, '127.0.3.4')).toBe('answered');
    expect(await libraryExchange(server.port, '127.0.3.3')).toBe('answered');
    // A library that got in is never displaced by newcomers.
    const library = await connectClient(fx, server.port, fx.good, { localAddress: '127.0.3.5' });
    const replies = new FrameCollector(library);
    library.write(ttlvFrame(8));
    await replies.waitFor(1);
    await openIdle(server.port, 40, '127.0.3.5');
    library.write(ttlvFrame(8));
    await replies.waitFor(2);
    expect(replies.closed).toBe(false);
    library.destroy();
  });
});

describe('the refusal log', () => {
  it('logs a few refusals per address one by one, and summarises the rest each minute', async () => {
    const clock = new ManualClock(0);
    const started = await startServer(fx, { ...LIMITS, clock, handler: echoHandler });
    server = started.server;
    const { log } = started;
    // 60 clients that are not TLS at all (plain HTTP), from one address, as fast as they come.
    await Promise.all(Array.from({ length: 60 }, () => httpClient(server!.port, '127.0.4.1')));
    // One refusal from elsewhere is still logged in full.
    await httpClient(server.port, '127.0.4.2');
    const fromFlood = refusals(log).filter((l) => l.fields.remoteAddress === '127.0.4.1');
    expect(fromFlood).toHaveLength(5);
    expect(fromFlood[0]!.fields.reason).toBe('not a TLS client (plain HTTP)');
    expect(refusals(log).filter((l) => l.fields.remoteAddress === '127.0.4.2')).toHaveLength(1);
    expect(log.lines.filter((l) => l.msg.includes('more refusal'))).toHaveLength(0);

    clock.advance(60_000);
    const summaries = log.lines.filter((l) => l.msg.includes('more refusal'));
    expect(summaries.map((l) => l.msg)).toEqual(['55 more refusals from 127.0.4.1 in the last minute']);
    expect(summaries[0]!.fields.reasons).toEqual({ 'not a TLS client (plain HTTP)': 55 });

    // A new minute: the first few are logged again.
    const before = refusals(log).length;
    await httpClient(server.port, '127.0.4.1');
    expect(refusals(log).length).toBe(before + 1);
  });
});
