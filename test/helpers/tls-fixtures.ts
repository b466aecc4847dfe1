import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { TcpSocketConnectOpts } from 'node:net';
import { join } from 'node:path';
import { connect, type TLSSocket, type ConnectionOptions } from 'node:tls';
import {
  createCertificateAuthority,
  ensureServerCredentials,
  issueClientCertificate,
  loadCa,
  tlsPaths,
  type CertifiedKey,
  type ServerCredentials,
} from '../../src/pki/index.js';
import { KmipTlsServer, type ConnectionInfo, type KmipTlsServerOptions, type TransportLogger } from '../../src/kmip/tls/index.js';

const DAY_MS = 86_400_000;
/** 2048-bit keys keep fixture creation quick; the default size has its own test. */
export const TEST_KEY_BITS = 2048;

export interface TlsFixture {
  dir: string;
  server: ServerCredentials;
  ca: CertifiedKey;
  good: CertifiedKey;
  foreign: CertifiedKey;
  expired: CertifiedKey;
  notYetValid: CertifiedKey;
  cleanup(): Promise<void>;
}

/** A TLS folder made by our own code, and client certificates good and bad, in a temp dir. */
export async function makeTlsFixture(library = 'lib-alpha'): Promise<TlsFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'qkm-tls-'));
  const now = new Date();
  const server = await ensureServerCredentials(join(dir, 'tls'), {
    hostname: 'qkmserver',
    altNames: ['127.0.0.1', 'localhost'],
    now,
    keyBits: TEST_KEY_BITS,
  });
  const ca = (await loadCa(tlsPaths(join(dir, 'tls'))))!;
  const otherCa = createCertificateAuthority({ hostname: 'elsewhere', now, keyBits: TEST_KEY_BITS });
  return {
    dir,
    server,
    ca,
    good: issueClientCertificate(ca, { library, now, keyBits: TEST_KEY_BITS }),
    foreign: issueClientCertificate(otherCa, { library, now, keyBits: TEST_KEY_BITS }),
    expired: issueClientCertificate(ca, { library, now: new Date(now.getTime() - 30 * DAY_MS), validityDays: 10, keyBits: TEST_KEY_BITS }),
    notYetValid: issueClientCertificate(ca, { library, now: new Date(now.getTime() + 30 * DAY_MS), validityDays: 10, keyBits: TEST_KEY_BITS }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that remembers what it was told, for assertions. */
export function recordingLogger(): TransportLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (fields: Record<string, unknown>, msg: string) => {
    lines.push({ level, msg, fields });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

export async function startServer(
  fx: TlsFixture,
  overrides: Partial<KmipTlsServerOptions> & Pick<KmipTlsServerOptions, 'handler'>,
): Promise<{ server: KmipTlsServer; log: ReturnType<typeof recordingLogger> }> {
  const log = recordingLogger();
  const server = new KmipTlsServer({
    host: '127.0.0.1',
    port: 0,
    tls: fx.server,
    logger: log,
    ...overrides,
  });
  await server.listen();
  return { server, log };
}

/** Connect as a library; resolves once the handshake is done from the client's side. */
export function connectClient(
  fx: TlsFixture,
  port: number,
  cert: CertifiedKey | undefined,
  // tls.connect hands the TCP options (a client's localAddress) on to net.connect.
  extra: ConnectionOptions & Pick<TcpSocketConnectOpts, 'localAddress'> = {},
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: [fx.ca.certPem],
      servername: 'localhost',
      ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
      ...extra,
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * What happens to a client after its handshake: 'open' when the server kept the connection
 * long enough to answer a frame, otherwise the error or close that ended it.
 */
export function outcomeOf(socket: TLSSocket, probe: Buffer, waitMs = 2000): Promise<'open' | 'closed' | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), waitMs);
    socket.once('data', () => {
      clearTimeout(timer);
      resolve('open');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? err.message);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    socket.write(probe);
  });
}

/** A TTLV-shaped message: a Structure header with `valueLength` bytes of filler. */
export function ttlvFrame(valueLength: number, fill = 0xab, tag = 0x420078): Buffer {
  const padded = Math.ceil(valueLength / 8) * 8;
  const frame = Buffer.alloc(8 + padded, 0);
  frame.writeUIntBE(tag, 0, 3);
  frame.writeUInt8(0x01, 3);
  frame.writeUInt32BE(valueLength, 4);
  frame.fill(fill, 8, 8 + valueLength);
  return frame;
}

/** Read whole frames from a client socket. */
export class FrameCollector {
  private buf = Buffer.alloc(0);
  readonly frames: Buffer[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 8) {
        const total = 8 + Math.ceil(this.buf.readUInt32BE(4) / 8) * 8;
        if (this.buf.length < total) break;
        this.frames.push(this.buf.subarray(0, total));
        this.buf = this.buf.subarray(total);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `n` frames have arrived, or rejects if the socket closes first. */
  async waitFor(n: number, timeoutMs = 5000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < n) {
      if (this.closed) throw new Error(`socket closed after ${this.frames.length} of ${n} frames`);
      if (Date.now() > deadline) throw new Error(`timed out after ${this.frames.length} of ${n} frames`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.frames.slice(0, n);
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket still open');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The reasons of the refusals `log` holds from line `from` on, once the server has had a moment to report. */
export async function refusalsSince(log: { lines: LogLine[] }, from: number): Promise<string[]> {
  await sleep(100);
  return log.lines.slice(from).filter((l) => l.msg.startsWith('refused')).map((l) => String(l.fields.reason));
}

export interface ExchangeResult {
  outcome: string;
  protocol?: string | null;
  cipher?: string;
  /** True when the client resumed the session it was given (no certificate exchanged). */
  reused?: boolean;
  /** The key type of the certificate the server presented: 'rsa' or 'ec'. */
  serverKeyType?: string;
  /** The last session (ticket) the server gave, to resume with. */
  session?: Buffer;
}

/**
 * Connect, send one frame, and report how it ended: 'answered' when a reply came back,
 * otherwise the client's error code or 'closed'. Works for refusals in either TLS version
 * (1.2 fails the handshake; 1.3 clients finish first and then see the server close).
 */
export function exchangeOnce(
  fx: TlsFixture,
  port: number,
  cert: CertifiedKey | undefined,
  extra: ConnectionOptions = {},
): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    let protocol: string | null | undefined;
    let cipher: string | undefined;
    let reused: boolean | undefined;
    let serverKeyType: string | undefined;
    let session: Buffer | undefined;
    let settled = false;
    const finish = (outcome: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ outcome, protocol, cipher, reused, serverKeyType, session });
    };
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: [fx.ca.certPem],
      servername: 'localhost',
      ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
      ...extra,
    });
    socket.once('secureConnect', () => {
      protocol = socket.getProtocol();
      cipher = socket.getCipher().name;
      reused = socket.isSessionReused();
      serverKeyType = socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType;
      socket.write(ttlvFrame(16));
    });
    // TLS 1.3 tickets come after the handshake, ahead of the answer on the same stream.
    socket.on('session', (s: Buffer) => {
      session = s;
    });
    socket.once('data', () => finish('answered'));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    socket.once('close', () => finish('closed'));
  });
}

export const echoHandler = async (_conn: unknown, frame: Buffer): Promise<Buffer> => frame;

/** The echo handler, noting each connection a frame came on in `seen`. */
export const echoNoting = (seen: ConnectionInfo[]) => async (conn: ConnectionInfo, frame: Buffer): Promise<Buffer> => {
  seen.push(conn);
  return frame;
};
