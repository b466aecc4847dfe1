/**
 * The pair link's listener in qkmd ([pair] host and port). Anyone may open a TLS
 * connection, but only a server whose pair certificate is pinned in the registry is
 * served; a stranger (another CA's certificate, a library's, a server not yet confirmed)
 * may only ask to pair, which changes nothing until an administrator here confirms it.
 */
import type { AddressInfo } from 'node:net';
import { type TLSSocket, createServer } from 'node:tls';
import type { Logger } from '../logs/logger.js';
import type { PairCredentials } from '../pki/index.js';
import { PairError } from './errors.js';
import { pemOfDer } from './fingerprint.js';
import type { PeerRecord, PairRegistry } from './registry.js';
import { peerCa } from './pairing.js';
import { pairServerTls } from './tls-options.js';
import { type PairReply, type PairRequest, readLines, writeLine } from './wire.js';

/** This server, as it introduces itself on the link. */
export interface SelfDescription {
  serial: string;
  version: string;
  role: string;
  /** This server's appliance CA certificate (public): the peer's libraries trust it too. */
  caPem: string;
}

/** What a paired server may ask; each returns the reply's fields. */
export type PeerHandlers = Record<string, (request: PairRequest, peer: PeerRecord) => Promise<Record<string, unknown>> | Record<string, unknown>>;

export interface PairServerOptions {
  host: string;
  port: number;
  creds: PairCredentials;
  registry: PairRegistry;
  self: SelfDescription;
  log: Logger;
  now: () => number;
  /** Beyond `hello`, which every link answers. */
  handlers?: PeerHandlers;
  idleTimeoutMs?: number;
}

export interface PairServer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

const PAIR_CN = /^qkm pair ([A-Z0-9]{4,20})$/;

export async function startPairServer(o: PairServerOptions): Promise<PairServer> {
  const handlers: PeerHandlers = {
    hello: () => ({ ...o.self, time: o.now() }),
    ...o.handlers,
  };
  const server = createServer(pairServerTls(o.creds), (socket) => serve(socket, o, handlers));
  server.maxConnections = 64;
  server.on('tlsClientError', (err, socket) => {
    o.log.warn({ remote: socket.remoteAddress, err: err.message }, 'pair link: handshake failed');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => resolve());
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PairError('PAIR_LISTEN', `The pair link cannot listen on ${o.host}:${o.port} (${code ?? (e as Error).message}); stop what uses it, or set [pair] host and port.`, { cause: e });
  }
  const bound = server.address() as AddressInfo;
  const sockets = new Set<TLSSocket>();
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    host: bound.address,
    port: bound.port,
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function serve(socket: TLSSocket, o: PairServerOptions, handlers: PeerHandlers): void {
  socket.setTimeout(o.idleTimeoutMs ?? 60_000, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  const cert = socket.getPeerCertificate();
  const remote = socket.remoteAddress;
  if (!cert?.fingerprint256) {
    o.log.warn({ remote }, 'pair link: refused a connection without a certificate');
    socket.destroy();
    return;
  }
  const fingerprint = cert.fingerprint256;
  const refuse = (code: string, message: string) => {
    writeLine(socket, { ok: false, code, message });
    socket.end();
  };
  let busy = Promise.resolve();
  readLines(socket, (line) => {
    // One request at a time per connection, answered in order.
    busy = busy.then(async () => {
      let request: PairRequest;
      try {
        request = JSON.parse(line) as PairRequest;
        if (typeof request?.op !== 'string') throw new Error('no op');
      } catch {
        return refuse('PAIR_BAD_REQUEST', 'The pair link received a line that is not a request.');
      }
      const peer = o.registry.peerByFingerprint(fingerprint);
      if (request.op === 'join') return writeLine(socket, join(o, socket, request, fingerprint, peer));
      if (!peer || !isCurrent(cert.valid_from, cert.valid_to, o.now())) {
        o.log.warn({ remote, fingerprint, subject: cert.subject?.CN, op: request.op }, 'pair link: refused a server that is not a peer');
        return refuse('PAIR_NOT_PAIRED', `This server is not paired with the one whose pair certificate has fingerprint ${fingerprint}.`);
      }
      const handler = Object.hasOwn(handlers, request.op) ? handlers[request.op] : undefined;
      if (!handler) return refuse('PAIR_UNKNOWN_OP', `The pair link has no operation "${request.op.slice(0, 40)}"; both servers should run the same qkm version.`);
      let reply: PairReply;
      try {
        reply = { ok: true, ...(await handler(request, peer)) };
      } catch (e) {
        o.log.error({ err: e, op: request.op, peer: peer.serial }, 'pair link: request failed');
        const code = (e as { code?: string }).code ?? 'PAIR_FAILED';
        reply = { ok: false, code, message: e instanceof Error ? e.message : String(e) };
      }
      writeLine(socket, reply);
    });
  }, () => refuse('PAIR_TOO_LONG', 'The pair link received a request longer than it accepts.'));
}

/** A server asks to pair: its certificate waits for an administrator here to confirm it. */
function join(o: PairServerOptions, socket: TLSSocket, request: PairRequest, fingerprint: string, peer: PeerRecord | undefined): PairReply {
  const cert = socket.getPeerCertificate(false);
  const cn = typeof cert.subject?.CN === 'string' ? cert.subject.CN : '';
  const serial = PAIR_CN.exec(cn)?.[1];
  if (!serial || serial !== request.serial) {
    o.log.warn({ remote: socket.remoteAddress, fingerprint, subject: cn }, 'pair link: refused a join without a pair certificate');
    return { ok: false, code: 'PAIR_NOT_A_SERVER', message: 'Only a qkm server presenting its pair certificate can ask to pair.' };
  }
  if (serial === o.self.serial) {
    return { ok: false, code: 'PAIR_SELF', message: 'A server cannot be paired with itself; give the address of the other server.' };
  }
  if (!peer) {
    const certPem = pemOfDer(cert.raw);
    o.registry.ask({ serial, fingerprint, certPem, version: String(request.version ?? 'unknown'), at: o.now(), from: socket.remoteAddress ?? '', ...peerCa(certPem, request.caPem) });
    o.log.info({ serial, fingerprint, remote: socket.remoteAddress }, 'pair link: a server asked to pair; waiting for confirmation');
  }
  return { ok: true, ...o.self, paired: peer !== undefined };
}

function isCurrent(validFrom: string, validTo: string, now: number): boolean {
  return Date.parse(validFrom) <= now && now <= Date.parse(validTo);
}
