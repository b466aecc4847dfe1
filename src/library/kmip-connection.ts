/**
 * One mutually authenticated TLS connection from the library to a key server, speaking
 * KMIP through the project's message layer. Requests may be pipelined: the server answers
 * a connection's requests in order, so each answer settles the oldest waiting request.
 * Anything that ends the connection (refused, reset, a server killed, a time-out) fails
 * every waiting request with SERVER_UNREACHABLE, which is what makes the library fail over.
 */
import tls from 'node:tls';
import { isIP } from 'node:net';
import {
  decodeResponseMessage,
  encodeRequestMessage,
  type ProtocolVersion,
  type RequestBatchItem,
  type ResponseMessage,
} from '../kmip/messages/index.js';
import { BatchErrorContinuationOption, HEADER_SIZE, messageLength } from '../kmip/ttlv/index.js';
import type { LibraryCredentials } from './bundle.js';
import type { ServerAddress } from './config.js';
import { LibraryError } from './errors.js';
import type { TlsSessions } from './tls-sessions.js';

/** The Tape Library Profile's version here: 1.2 is the first with Alternative Name (the barcode). */
export const LIBRARY_KMIP_VERSION: ProtocolVersion = { major: 1, minor: 2 };

interface Waiting {
  resolve(m: ResponseMessage): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

export function describeServer(s: ServerAddress): string {
  return `the ${s.role} key server ${s.host}:${s.port}`;
}

export class KmipConnection {
  private readonly waiting: Waiting[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private ended: LibraryError | undefined;

  private constructor(private readonly socket: tls.TLSSocket, readonly server: ServerAddress, private readonly timeoutMs: number) {
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (e) => this.end(unreachable(server, reasonOf(e), e)));
    socket.on('close', () => this.end(unreachable(server, 'it closed the connection')));
  }

  /**
   * Connects and completes the TLS handshake, or fails with SERVER_UNREACHABLE saying why.
   * With `sessions`, resumes the server's last session when it still takes it.
   */
  static open(server: ServerAddress, creds: LibraryCredentials, timeoutMs: number, sessions?: TlsSessions): Promise<KmipConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: server.host,
        port: server.port,
        ...(isIP(server.host) === 0 && { servername: server.host }),
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        minVersion: 'TLSv1.2',
        session: sessions?.for(server),
      });
      sessions?.keepFrom(server, socket);
      // A request is one small write: sent at once, not held back for an acknowledgement.
      socket.setNoDelay(true);
      const fail = (why: string, cause?: unknown) => {
        clearTimeout(timer);
        socket.destroy();
        reject(unreachable(server, why, cause));
      };
      const timer = setTimeout(() => fail(`no TLS handshake within ${timeoutMs / 1000} s`), timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        resolve(new KmipConnection(socket, server, timeoutMs));
      });
      socket.once('error', (e) => fail(reasonOf(e), e));
      socket.once('close', () => fail('it closed the connection during the TLS handshake'));
    });
  }

  get open(): boolean {
    return this.ended === undefined;
  }

  /**
   * Sends one request of `items` and resolves with the server's whole answer. With
   * `continueOnError` the items after a failed one still run (a Create refused for want
   * of keys is followed by the Key Usage that says whether the server ran out).
   */
  request(items: RequestBatchItem[], o: { continueOnError?: boolean; timeoutMs?: number } = {}): Promise<ResponseMessage> {
    if (this.ended) return Promise.reject(this.ended);
    const header = {
      protocolVersion: LIBRARY_KMIP_VERSION,
      batchCount: items.length,
      ...(o.continueOnError && { batchErrorContinuationOption: BatchErrorContinuationOption.Continue }),
    };
    const bytes = encodeRequestMessage({ header, batchItems: items });
    return new Promise((resolve, reject) => {
      const timeoutMs = o.timeoutMs ?? this.timeoutMs;
      const timer = setTimeout(() => this.end(unreachable(this.server, `no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      this.waiting.push({ resolve, reject, timer });
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.end(new LibraryError('SERVER_UNREACHABLE', 'The library closed its connection.', { params: { server: describeServer(this.server), reason: 'closed by the library' } }));
  }

  private received(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= HEADER_SIZE) {
      let total: number;
      try {
        total = messageLength(this.buffered);
      } catch (e) {
        this.end(unreachable(this.server, 'it answered something that is not KMIP', e));
        return;
      }
      if (this.buffered.length < total) return;
      const frame = this.buffered.subarray(0, total);
      this.buffered = this.buffered.subarray(total);
      const next = this.waiting.shift();
      if (!next) {
        this.end(unreachable(this.server, 'it answered a request never sent'));
        return;
      }
      clearTimeout(next.timer);
      try {
        next.resolve(decodeResponseMessage(frame));
      } catch (e) {
        next.reject(unreachable(this.server, 'its answer could not be read', e));
      }
    }
  }

  private end(error: LibraryError): void {
    if (this.ended) return;
    this.ended = error;
    this.socket.destroy();
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }
}

function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'nothing listens on that port';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'the connection was reset';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'the host cannot be reached';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'its host name is unknown';
  if (code?.startsWith('ERR_SSL') || code?.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the TLS handshake failed (${code}), so the certificates do not match`;
  }
  return code ?? (e instanceof Error ? e.message : String(e));
}

function unreachable(server: ServerAddress, why: string, cause?: unknown): LibraryError {
  return new LibraryError('SERVER_UNREACHABLE', `${capitalize(describeServer(server))} did not answer: ${why}.`, { cause, params: { server: describeServer(server), reason: why } });
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
