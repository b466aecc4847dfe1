import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameReader } from '../../src/kmip/tls/index.js';
import {
  connectClient,
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

/** Replies with the request's first filler byte in a 16-byte frame, to show which request it answers. */
const tagReply = (frame: Buffer) => ttlvFrame(8, frame[8] ?? 0, 0x42007b);

describe('FrameReader', () => {
  it('pads the declared length to 8 and splits back-to-back messages', () => {
    const reader = new FrameReader(1024);
    const a = ttlvFrame(5, 1);
    const b = ttlvFrame(24, 2);
    expect(a.length).toBe(16);
    const events = reader.push(Buffer.concat([a, b]));
    expect(events.map((e) => e.kind === 'frame' && e.frame.equals(e === events[0] ? a : b))).toEqual([true, true]);
    expect(reader.partialBytes).toBe(0);
  });

  it('reports an over-size header without allocating what it claims', () => {
    const reader = new FrameReader(1024);
    const header = Buffer.from('42007801ffffff00', 'hex');
    const [event] = reader.push(header);
    expect(event).toMatchObject({ kind: 'oversize', claimedBytes: 8 + 0xffffff00, head: header });
    expect(reader.push(Buffer.alloc(100))).toEqual([]);
  });

  it('keeps the first 64 bytes of an over-size message, as far as they came, to answer it in its version', () => {
    const start = Buffer.concat([Buffer.from('42007801ffffff00', 'hex'), Buffer.alloc(200, 0x42)]);
    const reader = new FrameReader(1024);
    expect(reader.push(start.subarray(0, 5))).toEqual([]);
    const [event] = reader.push(start.subarray(5));
    expect(event).toMatchObject({ kind: 'oversize', head: start.subarray(0, 64) });
  });

  it('accepts a message exactly at the bound', () => {
    const reader = new FrameReader(64);
    expect(reader.push(ttlvFrame(56))).toHaveLength(1);
    expect(new FrameReader(64).push(ttlvFrame(57))[0]?.kind).toBe('oversize');
  });
});

describe('framing over TLS', () => {
  it('answers two messages sent in one write, in order', async () => {
    const got: number[] = [];
    const { server } = await startServer(fx, {
      handler: async (_c, frame) => {
        got.push(frame[8]!);
        return tagReply(frame);
      },
    });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    socket.write(Buffer.concat([ttlvFrame(40, 1), ttlvFrame(16, 2)]));
    const frames = await replies.waitFor(2);
    expect(frames.map((f) => f[8])).toEqual([1, 2]);
    expect(got).toEqual([1, 2]);
    socket.destroy();
    await server.stop();
  });

  it('reassembles a message sent one byte at a time', async () => {
    const received: Buffer[] = [];
    const { server } = await startServer(fx, {
      handler: async (_c, frame) => {
        received.push(frame);
        return tagReply(frame);
      },
    });
    const socket = await connectClient(fx, server.port, fx.good);
    socket.setNoDelay(true);
    const replies = new FrameCollector(socket);
    const message = ttlvFrame(50, 7);
    for (const byte of message) {
      socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    await replies.waitFor(1);
    expect(received).toHaveLength(1);
    expect(received[0]!.equals(message)).toBe(true);
    socket.destroy();
    await server.stop();
  });

  it('serves pipelined requests one at a time, replies in request order', async () => {
    let active = 0;
    let maxActive = 0;
    const { server } = await startServer(fx, {
      handler: async (_c, frame) => {
        active++;
        maxActive = Math.max(maxActive, active);
        // Later requests finish faster; order must still hold.
        await sleep(20 - frame[8]!);
        active--;
        return tagReply(frame);
      },
    });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    for (let i = 1; i <= 10; i++) socket.write(ttlvFrame(8, i));
    const frames = await replies.waitFor(10);
    expect(frames.map((f) => f[8])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(maxActive).toBe(1);
    socket.destroy();
    await server.stop();
  });

  it('hands pipelined frames to onFrames together, writes its replies in order, and closes at a null one', async () => {
    const batches: number[][] = [];
    const { server } = await startServer(fx, {
      handler: async (_c, frame) => tagReply(frame),
      onFrames: async (_c, frames) => {
        batches.push(frames.map((f) => f[8]!));
        return frames.map((f) => (f[8] === 0xdd ? null : tagReply(f)));
      },
    });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    socket.write(Buffer.concat([1, 2, 3].map((i) => ttlvFrame(8, i))));
    expect((await replies.waitFor(3)).map((f) => f[8])).toEqual([1, 2, 3]);
    expect(batches.flat()).toEqual([1, 2, 3]);
    expect(batches.some((b) => b.length > 1)).toBe(true); // they arrived together and were answered together
    socket.write(Buffer.concat([ttlvFrame(8, 4), ttlvFrame(8, 0xdd), ttlvFrame(8, 5)]));
    await replies.waitClosed();
    expect(replies.frames.map((f) => f[8])).toEqual([1, 2, 3, 4]);
    await server.stop();
  });

  it('closes on an over-size header after writing the hook\'s error response, never calling the handler for it', async () => {
    const handled: Buffer[] = [];
    const hookCalls: Array<{ claimedBytes: number; maxFrameBytes: number }> = [];
    const { server, log } = await startServer(fx, {
      maxFrameBytes: 4096,
      handler: async (_c, frame) => {
        handled.push(frame);
        return tagReply(frame);
      },
      onOversize: async (_c, o) => {
        hookCalls.push({ claimedBytes: o.claimedBytes, maxFrameBytes: o.maxFrameBytes });
        return ttlvFrame(8, 0xee, 0x42007b);
      },
    });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    // A good request first: its reply must still come, and before the error response.
    const huge = Buffer.from('420078017fffff00', 'hex');
    socket.write(Buffer.concat([ttlvFrame(8, 1), huge, Buffer.alloc(64, 0x55)]));
    const frames = await replies.waitFor(2);
    expect(frames.map((f) => f[8])).toEqual([1, 0xee]);
    await replies.waitClosed();
    expect(handled).toHaveLength(1);
    expect(hookCalls).toEqual([{ claimedBytes: 8 + 0x7fffff00, maxFrameBytes: 4096 }]);
    expect(log.lines.filter((l) => l.msg.includes('size bound'))).toHaveLength(1);
    await server.stop();
  });

  it('closes on an over-size header with no response when there is no hook', async () => {
    const { server } = await startServer(fx, { maxFrameBytes: 4096, handler: async () => ttlvFrame(8) });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    socket.write(ttlvFrame(5000));
    await replies.waitClosed();
    expect(replies.frames).toHaveLength(0);
    await server.stop();
  });

  it('drops a truncated message when the client closes, without calling the handler', async () => {
    const handled: Buffer[] = [];
    const { server, log } = await startServer(fx, {
      handler: async (_c, frame) => {
        handled.push(frame);
        return tagReply(frame);
      },
    });
    const socket = await connectClient(fx, server.port, fx.good);
    const replies = new FrameCollector(socket);
    const whole = ttlvFrame(8, 3);
    const partial = ttlvFrame(100, 4).subarray(0, 40);
    socket.end(Buffer.concat([whole, partial]));
    // The complete request before the cut is still answered on the half-closed connection.
    const frames = await replies.waitFor(1);
    expect(frames[0]![8]).toBe(3);
    await replies.waitClosed();
    expect(handled).toHaveLength(1);
    expect(log.lines.some((l) => l.msg.includes('middle of a KMIP message') && l.fields.partialBytes === 40)).toBe(true);
    for (let i = 0; i < 50 && server.connectionCount > 0; i++) await sleep(20);
    expect(server.connectionCount).toBe(0);
    await server.stop();
  });

  it('closes the connection when the handler returns null or throws, logging a throw once', async () => {
    for (const mode of ['null', 'throw'] as const) {
      const { server, log } = await startServer(fx, {
        handler: async (_c, frame) => {
          if (frame[8] === 1) return tagReply(frame);
          if (mode === 'throw') throw new Error('engine exploded');
          return null;
        },
      });
      const socket = await connectClient(fx, server.port, fx.good);
      const replies = new FrameCollector(socket);
      socket.write(Buffer.concat([ttlvFrame(8, 1), ttlvFrame(8, 2), ttlvFrame(8, 1)]));
      await replies.waitClosed();
      expect(replies.frames.map((f) => f[8])).toEqual([1]);
      expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(mode === 'throw' ? 1 : 0);
      await server.stop();
    }
  });

  it('stops reading from a client that does not read its answers, then serves it all in order once it does', async () => {
    // Answered one by one, and as pipelined runs (whose replies are written corked together).
    for (const pipelined of [false, true]) {
      let handled = 0;
      const answer = (frame: Buffer) => {
        handled++;
        return ttlvFrame(64 * 1024 - 8, frame[8] ?? 0, 0x42007b);
      };
      const { server } = await startServer(fx, {
        handler: async (_c, frame) => answer(frame),
        ...(pipelined && { onFrames: async (_c: unknown, frames: Buffer[]) => frames.map(answer) }),
      });
      const socket = await connectClient(fx, server.port, fx.good);
      socket.pause();
      const requests = 1000;
      for (let i = 0; i < requests; i++) socket.write(ttlvFrame(8, i % 251));
      // 64 MB of answers cannot all be buffered: the server must stall once the socket backs up.
      let before = -1;
      while (handled !== before) {
        before = handled;
        await sleep(300);
      }
      expect(handled).toBeLessThan(requests / 2);
      const replies = new FrameCollector(socket);
      socket.resume();
      const frames = await replies.waitFor(requests, 30_000);
      expect(frames.map((f) => f[8])).toEqual(Array.from({ length: requests }, (_, i) => i % 251));
      expect(handled).toBe(requests);
      socket.destroy();
      await server.stop();
    }
  });

  it('cuts off a client that reads none of its answers for the idle timeout, logging it once', async () => {
    const { server, log } = await startServer(fx, {
      idleTimeoutMs: 1000,
      handler: async (_c, frame) => ttlvFrame(64 * 1024 - 8, frame[8] ?? 0, 0x42007b),
    });
    const socket = await connectClient(fx, server.port, fx.good);
    socket.pause();
    socket.on('error', () => {});
    for (let i = 0; i < 1000; i++) socket.write(ttlvFrame(8, 1));
    // The paused client would not notice the close; the server's side is what counts.
    for (let i = 0; i < 100 && server.connectionCount > 0; i++) await sleep(50);
    expect(server.connectionCount).toBe(0);
    expect(log.lines.filter((l) => l.msg.includes('not reading its answers'))).toHaveLength(1);
    socket.destroy();
    await server.stop();
  });
});
