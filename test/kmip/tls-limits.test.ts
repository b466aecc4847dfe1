import { connect as connectTcp, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectClient,
  echoHandler,
  exchangeOnce,
  FrameCollector,
  makeTlsFixture,
  sleep,
  startServer,
  ttlvFrame,
  type TlsFixture,
} from '../helpers/tls-fixtures.js';

let fx: TlsFixture;
beforeAll(async () => {
  fx = await makeTlsFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

function tcpClosed(socket: Socket): Promise<number> {
  const start = Date.now();
  return new Promise((resolve) => {
    socket.on('error', () => {});
    socket.on('close', () => resolve(Date.now() - start));
  });
}

describe('timeouts', () => {
  it('cuts off a slowloris client sending a message one byte at a time', async () => {
    const handled: Buffer[] = [];
    const { server, log } = await startServer(fx, {
      frameTimeoutMs: 400,
      idleTimeoutMs: 10_000,
      handler: async (_c, f) => {
        handled.push(f);
        return f;
      },
    });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    const message = ttlvFrame(64);
    const started = Date.now();
    let sent = 0;
    // One byte every 50 ms: each byte is "activity", so only a per-message deadline stops it.
    while (!replies.closed && sent < message.length) {
      socket.write(message.subarray(sent, sent + 1));
      sent++;
      await sleep(50);
    }
    await replies.waitClosed();
    const elapsed = Date.now() - started;
    expect(sent).toBeLessThan(message.length);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2000);
    expect(handled).toHaveLength(0);
    expect(log.lines.filter((l) => l.msg.includes('slow client'))).toHaveLength(1);
    await server.stop();
  });

  it('gives each message its own slow-read deadline (a busy, healthy client is not cut off)', async () => {
    const { server } = await startServer(fx, { frameTimeoutMs: 300, handler: echoHandler });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    for (let i = 0; i < 8; i++) {
      socket.write(ttlvFrame(16, i));
      await sleep(100);
    }
    await replies.waitFor(8);
    expect(replies.closed).toBe(false);
    socket.destroy();
    await server.stop();
  });

  it('closes an idle connection', async () => {
    const { server, log } = await startServer(fx, { idleTimeoutMs: 300, handler: echoHandler });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    socket.write(ttlvFrame(8));
    await replies.waitFor(1);
    const t0 = Date.now();
    await replies.waitClosed(3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(log.lines.filter((l) => l.msg.includes('idle'))).toHaveLength(1);
    await server.stop();
  });

  it('cuts off a client that trickles its handshake, at an absolute deadline', async () => {
    const { server, log } = await startServer(fx, { handshakeTimeoutMs: 500, handler: echoHandler });
    const socket = connectTcp(server.port, '127.0.0.1');
    const closed = tcpClosed(socket);
    await new Promise((r) => socket.once('connect', r));
    // A TLS record header announcing a 512-byte ClientHello, then one byte every 100 ms.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    const timer = setInterval(() => socket.writable && socket.write(Buffer.from([0x01])), 100);
    const elapsed = await closed;
    clearInterval(timer);
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(2000);
    const refusals = log.lines.filter((l) => l.msg.startsWith('refused'));
    expect(refusals.map((l) => l.fields.reason)).toEqual(['handshake timeout']);
    await server.stop();
  });

  it('cuts off a TCP client that never starts the handshake', async () => {
    const { server } = await startServer(fx, { handshakeTimeoutMs: 300, handler: echoHandler });
    const socket = connectTcp(server.port, '127.0.0.1');
    const elapsed = await tcpClosed(socket);
    expect(elapsed).toBeLessThan(2000);
    await server.stop();
  });
});

describe('pause, resume, stop and the connection bound', () => {
  it('pause closes open connections and refuses new ones; resume serves again', async () => {
    const { server, log } = await startServer(fx, { handler: echoHandler });
    const open = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(open);
    open.write(ttlvFrame(8));
    await replies.waitFor(1);

    server.pause();
    expect(server.paused).toBe(true);
    await replies.waitClosed();
    const refused = await exchangeOnce(fx, server.port, fx.good);
    expect(refused.outcome).not.toBe('answered');
    // The refusal happens before TLS: the client never finishes a handshake.
    expect(refused.protocol).toBeUndefined();
    expect(log.lines.filter((l) => l.msg.startsWith('refused'))).toHaveLength(0);

    server.resume();
    expect((await exchangeOnce(fx, server.port, fx.good)).outcome).toBe('answered');
    expect(log.lines.find((l) => l.msg === 'key service resumed')?.fields.refusedWhilePaused).toBe(1);
    await server.stop();
  });

  it('stop closes the listener and every connection', async () => {
    const { server } = await startServer(fx, { handler: echoHandler });
    const port = server.port;
    const a = await connectClient(fx, port, fx.good);
    const closedA = new FrameCollector(a);
    const half = connectTcp(port, '127.0.0.1');
    const halfClosed = tcpClosed(half);
    await new Promise((r) => half.once('connect', r));
    await server.stop();
    await closedA.waitClosed();
    await halfClosed;
    const again = connectTcp(port, '127.0.0.1');
    const err = await new Promise<string>((resolve) => {
      again.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
      again.on('connect', () => resolve('connected'));
    });
    expect(err).toBe('ECONNREFUSED');
  });

  it('refuses connections beyond maxConnections, logging the burst once', async () => {
    const { server, log } = await startServer(fx, { maxConnections: 3, maxUnauthenticated: 2, maxUnauthenticatedPerAddress: 2, handler: echoHandler });
    const held: TLSSocket[] = [];
    for (let i = 0; i < 3; i++) {
      // One at a time, each answered once: the server has accepted its certificate, so
      // it is no longer an unauthenticated connection that a newcomer could displace.
      const socket = await connectClient(fx, server.port, fx.good);
      const replies = new FrameCollector(socket);
      socket.write(ttlvFrame(8));
      await replies.waitFor(1);
      held.push(socket);
    }
    for (let i = 0; i < 3; i++) {
      expect((await exchangeOnce(fx, server.port, fx.good)).outcome).not.toBe('answered');
    }
    expect(log.lines.filter((l) => l.msg.includes('connection limit'))).toHaveLength(1);
    held[0]!.destroy();
    for (let i = 0; i < 50 && server.connectionCount >= 3; i++) await sleep(20);
    expect((await exchangeOnce(fx, server.port, fx.good)).outcome).toBe('answered');
    expect(log.lines.find((l) => l.msg.includes('below the connection limit'))?.fields.refused).toBe(3);
    for (const s of held) s.destroy();
    await server.stop();
  });

  it('serves 200 concurrent connections', async () => {
    const { server } = await startServer(fx, {
      handler: async (_conn, frame) => {
        await sleep(5);
        return frame;
      },
    });
    const clients = await Promise.all(Array.from({ length: 200 }, () => connectClient(fx, server.port, fx.good)));
    expect(server.connectionCount).toBe(200);
    const results = await Promise.all(
      clients.map(async (socket, i) => {
        const replies = new FrameCollector(socket);
        const request = ttlvFrame(32, i % 256);
        socket.write(request);
        socket.write(request);
        const [a, b] = await replies.waitFor(2, 15_000);
        socket.destroy();
        return a!.equals(request) && b!.equals(request);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    await server.stop();
  });
});
