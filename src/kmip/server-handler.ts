/**
 * The key server's KMIP entry point, free of any transport: bytes of one request in,
 * bytes of its response out (or null: close the connection). The TLS server calls
 * `frameHandler` with each complete frame and the identity from the client certificate,
 * whose CN is the library that owns the keys.
 *
 * A message that cannot be decoded is answered with a KMIP error response (Invalid
 * Message, Unsupported Protocol Version, a batch over the limit, ...), in the request's
 * version when its header can be read. Bytes that are not a KMIP request at all get no
 * answer: the connection is closed.
 */
import type { ClientRole } from '../pki/client-role.js';
import type { ManagedObjects } from '../engine/index.js';
import {
  KmipMessageError,
  SUPPORTED_VERSIONS,
  answeringVersion,
  decodeRequestMessage,
  echoOf,
  encodeResponseMessage,
  errorResponse,
  invalidMessage,
  isKmipMessageError,
  type ProtocolVersion,
  type RequestLimits,
  type RequestMessage,
  type ResponseMessage,
} from './messages/index.js';
import { ResultReason, ResultStatus } from './ttlv/index.js';
import { looksLikeRequest, sniffVersion } from './messages/request-prefix.js';
import { runBatch, type BatchDeps, type BatchLogger } from './operations/batch.js';
import type { ServerInfo } from './operations/context.js';
import { operationFor } from './operations/table.js';
import { isKeystoreCheck, keystoreCheckItem } from './operations/qkm-keystore-check.js';
import { isDiskFull } from '../util/disk-errors.js';

export interface CallerIdentity {
  /** The library the client certificate names (its subject CN). */
  library: string;
  /** A tape library unless the certificate says general (src/pki/client-role.ts). */
  role?: ClientRole;
}

export interface HandlerLogger extends BatchLogger {
  info?(fields: Record<string, unknown>, msg: string): void;
}

export interface KmipHandlerOptions {
  objects: ManagedObjects;
  /** Clock for response time stamps; default the engine's world. */
  now?: () => number;
  /** Bounds for decoding (message size, depth, batch items; default 1 MiB, 32, 32). */
  limits?: RequestLimits;
  server?: Partial<ServerInfo>;
  logger?: HandlerLogger;
}

/** The version to answer an unreadable message in, when even its header cannot be read. */
const FALLBACK_VERSION: ProtocolVersion = { major: 1, minor: 0 };

export class KmipRequestHandler {
  private readonly server: ServerInfo;
  private readonly now: () => number;
  /** What every batch runs with; built once, not per request. */
  private readonly batchDeps: BatchDeps;

  constructor(private readonly opts: KmipHandlerOptions) {
    const engine = opts.objects.engine;
    this.now = opts.now ?? (() => engine.world.now());
    this.server = {
      vendor: 'qkm',
      productName: 'qkm key manager',
      serverName: 'qkmserver',
      serialNumber: engine.settings.serial,
      version: '0.1.0',
      ...opts.server,
    };
    this.batchDeps = { objects: opts.objects, server: this.server, ...(opts.logger && { logger: opts.logger }) };
  }

  /** For the TLS server: its FrameHandler, (connection, frame) => reply or null. */
  readonly frameHandler = async (conn: { identity: CallerIdentity }, frame: Buffer): Promise<Buffer | null> =>
    this.handleFrame(conn.identity, frame);

  /** One request's bytes to its response's bytes; null when the connection should close. */
  handleFrame(caller: CallerIdentity, bytes: Uint8Array): Buffer | null {
    const decoded = this.decode(caller, bytes);
    if (!('request' in decoded)) return decoded.reply;
    return this.encode(decoded.request, this.handleRequest(decoded.request, caller), caller);
  }

  /**
   * As handleFrame, but a request that changes the keystore runs inside `commit` (the
   * server's group commit, so concurrent writers share one durable commit) while a
   * read-only one (Get, Locate, Query, ...) is answered at once, with no write lock.
   */
  async handleFrameCommitted(caller: CallerIdentity, bytes: Uint8Array, commit: Commit): Promise<Buffer | null> {
    const decoded = this.decode(caller, bytes);
    if (!('request' in decoded)) return decoded.reply;
    return this.answer(decoded.request, caller, mutates(decoded.request) ? commit : undefined);
  }

  /**
   * Requests a client pipelined, answered in order. When any of them changes the keystore,
   * all of them run through `commit`, in order: they share one durable commit (a library
   * writing many tapes on one connection waits for one fsync, not one per request), and a
   * Get after a Create sees the key it made. Nothing is answered before that commit. A
   * frame that gets no answer (not KMIP) ends the run: the ones after it are not run.
   */
  async handleFramesCommitted(caller: CallerIdentity, frames: Uint8Array[], commit: Commit): Promise<(Buffer | null)[]> {
    const decoded: ReturnType<KmipRequestHandler['decode']>[] = [];
    for (const bytes of frames) {
      const d = this.decode(caller, bytes);
      decoded.push(d);
      if (!('request' in d) && d.reply === null) break;
    }
    const viaCommit = decoded.some((d) => 'request' in d && mutates(d.request)) ? commit : undefined;
    return Promise.all(decoded.map((d) => ('request' in d ? this.answer(d.request, caller, viaCommit) : d.reply)));
  }

  /** The encoded response; the request runs inside `commit` when one is given. */
  private async answer(request: RequestMessage, caller: CallerIdentity, commit: Commit | undefined): Promise<Buffer> {
    let response: ResponseMessage;
    try {
      if (isKeystoreCheck(request)) {
        const item = await keystoreCheckItem(request.batchItems[0]!, caller.library, this.opts.objects.engine.store, request.header.protocolVersion);
        return this.encode(request, this.response(request, [item]), caller);
      }
      response = commit ? await commit(() => this.handleRequest(request, caller)) : this.handleRequest(request, caller);
    } catch (e) {
      // The shared commit itself failed (a full disk, an I/O error): none of it happened, and
      // the library is told so rather than left with a closed connection.
      response = this.failedResponse(request, caller, e);
    }
    return this.encode(request, response, caller);
  }

  private decode(caller: CallerIdentity, bytes: Uint8Array): { request: RequestMessage } | { reply: Buffer | null } {
    try {
      return { request: decodeRequestMessage(bytes, this.opts.limits) };
    } catch (e) {
      if (!isKmipMessageError(e)) throw e;
      if (!looksLikeRequest(bytes)) {
        this.opts.logger?.warn({ library: caller.library, bytes: bytes.length }, 'not a KMIP request; closing the connection');
        return { reply: null };
      }
      this.opts.logger?.warn({ library: caller.library, code: e.code, message: e.message }, 'KMIP request refused');
      const sniffed = sniffVersion(bytes);
      return { reply: this.encodeError(e, sniffed ? answeringVersion(sniffed, SUPPORTED_VERSIONS) : FALLBACK_VERSION) };
    }
  }

  private encode(request: RequestMessage, response: ResponseMessage, caller: CallerIdentity): Buffer {
    try {
      const max = request.header.maximumResponseSize;
      return encodeResponseMessage(response, max === undefined ? undefined : { maximumResponseSize: max });
    } catch (e) {
      if (!(e instanceof KmipMessageError)) throw e;
      this.opts.logger?.warn({ library: caller.library, code: e.code, message: e.message }, 'KMIP response refused');
      return this.encodeError(e, request.header.protocolVersion);
    }
  }

  /** A decoded request to its response, in the request's protocol version. */
  handleRequest(request: RequestMessage, caller: CallerIdentity): ResponseMessage {
    try {
      return this.response(request, runBatch(request, caller, this.batchDeps));
    } catch (e) {
      return this.failedResponse(request, caller, e);
    }
  }

  private response(request: RequestMessage, batchItems: ReturnType<typeof runBatch>): ResponseMessage {
    const response: ResponseMessage = { protocolVersion: request.header.protocolVersion, timeStamp: new Date(this.now()), batchItems };
    if (request.header.clientCorrelationValue !== undefined) response.clientCorrelationValue = request.header.clientCorrelationValue;
    return response;
  }

  /** The keystore itself failed (locked past its timeout, a full disk, an I/O error): every item says so. */
  private failedResponse(request: RequestMessage, caller: CallerIdentity, e: unknown): ResponseMessage {
    this.opts.logger?.error({ library: caller.library, err: e instanceof Error ? e.message : String(e) }, 'KMIP batch failed');
    const full = isDiskFull(e);
    const resultMessage = full
      ? "The key server's disk is full, so nothing was changed; keys already given can still be read. Try again once the administrator has freed space."
      : 'The keystore could not carry out this request; nothing was changed. Try again; if it persists, the administrator will find the cause in the server log.';
    return this.response(request, request.batchItems.map((item) => ({
      ...echoOf(item),
      resultStatus: ResultStatus.OperationFailed,
      resultReason: ResultReason.GeneralFailure,
      resultMessage,
    })));
  }

  /**
   * A message whose header claims more than the size bound, of which only `head` was read.
   * A KMIP request is told so with Invalid Message (in its version, when the head shows
   * it) before the connection closes; anything else gets no answer. The connection has
   * already logged it.
   */
  handleOversize(o: { head: Buffer; claimedBytes: number; maxFrameBytes: number }): Buffer | null {
    if (!looksLikeRequest(o.head)) return null;
    const sniffed = sniffVersion(o.head);
    const e = invalidMessage(`The request is ${o.claimedBytes} bytes, over this server's limit of ${o.maxFrameBytes} bytes; send it in smaller batches.`);
    return this.encodeError(e, sniffed ? answeringVersion(sniffed, SUPPORTED_VERSIONS) : FALLBACK_VERSION);
  }

  private encodeError(e: KmipMessageError, version: ProtocolVersion): Buffer {
    return encodeResponseMessage(errorResponse(e, new Date(this.now()), version));
  }
}

/** The server's group commit: `work` runs in a transaction shared with other callers'; settles once it is durable. */
export type Commit = <T>(work: () => T) => Promise<T>;

function mutates(request: RequestMessage): boolean {
  const version = request.header.protocolVersion;
  return request.batchItems.some((i) => operationFor(i.operation, version)?.mutates === true);
}
