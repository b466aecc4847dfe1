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
import { LIBRARY_NAME_PATTERN, type ManagedObjects, requirePeerCopy } from '../engine/index.js';
import type { ClientRole } from '../pki/client-role.js';
import {
  KmipMessageError,
  SUPPORTED_VERSIONS,
  answeringVersion,
  decodeRequestMessage,
  echoOf,
  encodeResponseMessage,
  errorResponse,
  formatVersion,
  invalidMessage,
  isKmipMessageError,
  type ProtocolVersion,
  type RequestLimits,
  type RequestMessage,
  type ResponseMessage,
} from './messages/index.js';
import { ResultReason, ResultStatus } from './ttlv/index.js';
import { looksLikeRequest, sniffVersion } from './messages/request-prefix.js';
import { operationName, runBatch, type BatchDeps, type BatchLogger } from './operations/batch.js';
import { enumName } from './ttlv/enums.js';
import type { ServerInfo } from './operations/context.js';
import { operationFor } from './operations/table.js';
import { isKeystoreCheck, keystoreCheckItem } from './operations/qkm-keystore-check.js';
import { isLibraryGeneration } from './operations/qkm-library-keys.js';
import { failureOf } from './operations/errors.js';
import { isDiskFull } from '../util/disk-errors.js';
import type { AuditFields } from '../logs/audit-chain.js';
import { QkmOperation, QkmTag } from './qkm-extensions.js';

export interface CallerIdentity {
  /** The library the client certificate names (its subject CN). */
  library: string;
  /** A tape library unless the certificate says general (src/pki/client-role.ts). */
  role?: ClientRole;
}

export interface HandlerLogger extends BatchLogger {
  info?(fields: Record<string, unknown>, msg: string): void;
  /** Trace logging (qkmcmds -D on): one line per request, built only while it is on. */
  trace?(fields: Record<string, unknown>, msg: string): void;
  isLevelEnabled?(level: string): boolean;
}

export interface KmipHandlerOptions {
  objects: ManagedObjects;
  /** Clock for response time stamps; default the engine's world. */
  now?: () => number;
  /** Bounds for decoding (message size, depth, batch items; default 1 MiB, 32, 32). */
  limits?: RequestLimits;
  server?: Partial<ServerInfo>;
  logger?: HandlerLogger;
  /** On a server with peers: how long a library's Generate Library Keys waits for the peers' copy ([pair] generation_timeout_seconds). */
  peerCopyWaitMs?: number;
  /** Records what a library did that the administrator must account for (its key set generated); durable when it returns. */
  audit?: (fields: AuditFields) => void;
  /** Told of every answered request with its response and the seconds it took (the metrics count them). */
  observe?: (request: RequestMessage, response: ResponseMessage, seconds: number) => void;
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
    const started = performance.now();
    const response = this.handleRequest(decoded.request, caller);
    this.auditRequest(decoded.request, response, caller);
    this.answered(decoded.request, response, caller, started);
    return this.encode(decoded.request, response, caller);
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
    const started = performance.now();
    let response: ResponseMessage;
    try {
      if (isKeystoreCheck(request)) {
        const item = await keystoreCheckItem(request.batchItems[0]!, caller.library, this.opts.objects.engine.store, request.header.protocolVersion);
        const checked = this.response(request, [item]);
        this.opts.observe?.(request, checked, (performance.now() - started) / 1000);
        return this.encode(request, checked, caller);
      }
      response = commit ? await commit(() => this.handleRequest(request, caller)) : this.handleRequest(request, caller);
      if (isLibraryGeneration(request)) response = await this.afterPeerCopy(request, response, caller);
      // After the commit, before the answer: the library never hears of a generation the audit log lacks.
      this.auditRequest(request, response, caller);
    } catch (e) {
      // The shared commit itself failed (a full disk, an I/O error): none of it happened, and
      // the library is told so rather than left with a closed connection.
      response = this.failedResponse(request, caller, e);
    }
    this.answered(request, response, caller, started);
    return this.encode(request, response, caller);
  }

  /**
   * A library's set is usable only once the peers hold their copy: its generation is
   * answered then, or, when they do not store it in time, with the set taken back and
   * Operation Failed saying why (a retry later generates afresh).
   */
  private async afterPeerCopy(request: RequestMessage, response: ResponseMessage, caller: CallerIdentity): Promise<ResponseMessage> {
    const item = response.batchItems[0];
    if (item?.resultStatus !== ResultStatus.Success || !LIBRARY_NAME_PATTERN.test(caller.library)) return response;
    const engine = this.opts.objects.engine;
    try {
      for (const setId of engine.setsAwaitingPeer(caller.library)) {
        await requirePeerCopy(engine, { setId, library: caller.library }, this.opts.peerCopyWaitMs ?? 30_000);
      }
      return response;
    } catch (e) {
      const failure = failureOf(e, request.header.protocolVersion);
      this.opts.logger?.warn({ library: caller.library, err: (e as Error).message }, 'KMIP key generation taken back: the peer did not store its copy');
      return { ...response, batchItems: [{ ...echoOf(request.batchItems[0]!), resultStatus: ResultStatus.OperationFailed, resultReason: failure.resultReason, resultMessage: failure.resultMessage }] };
    }
  }

  private answered(request: RequestMessage, response: ResponseMessage, caller: CallerIdentity, started: number): void {
    this.opts.observe?.(request, response, (performance.now() - started) / 1000);
    this.traceRequest(request, response, caller, started);
  }

  private traceRequest(request: RequestMessage, response: ResponseMessage, caller: CallerIdentity, started: number): void {
    const log = this.opts.logger;
    if (!log?.trace || !log.isLevelEnabled?.('trace')) return;
    log.trace({
      library: caller.library,
      version: formatVersion(request.header.protocolVersion),
      operations: request.batchItems.map((i) => operationName(i.operation)),
      results: response.batchItems.map((r) => enumName(ResultStatus, r.resultStatus) ?? r.resultStatus),
      ms: Math.round((performance.now() - started) * 1000) / 1000,
    }, 'KMIP request');
  }

  private auditRequest(request: RequestMessage, response: ResponseMessage, caller: CallerIdentity): void {
    const audit = this.opts.audit;
    if (!audit) return;
    response.batchItems.forEach((r, i) => {
      if (request.batchItems[i]?.operation !== QkmOperation.GenerateLibraryKeys || r.resultStatus !== ResultStatus.Success) return;
      const value = (tag: number) => r.payload?.find((c) => c.tag === tag)?.value;
      const generated = value(QkmTag.Generated) === true;
      audit({
        action: 'keys generate', outcome: 'done', actor: caller.library,
        details: { via: 'KMIP', library: caller.library, ...(generated ? { generated: value(QkmTag.KeyCount) } : { generated: 0, unused: value(QkmTag.KeyCount) }) },
      });
    });
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
