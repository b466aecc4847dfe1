/**
 * Calling a peer's pair link: TLS with this server's pair certificate, and the other
 * side accepted only if its certificate is the one pinned for it. A server showing any
 * other certificate (another CA's, a library's, a look-alike) is not spoken to.
 */
import { connect } from 'node:tls';
import type { PairCredentials } from '../pki/index.js';
import type { ErrorCode } from '../errors.js';
import { PairError } from './errors.js';
import { pemOfDer } from './fingerprint.js';
import { pairClientTls } from './tls-options.js';
import { type PairReply, type PairRequest, readLines, writeLine } from './wire.js';

export interface PeerAddress {
  host: string;
  port: number;
}

/** "host:port" (IPv6 in brackets) as [pair] peer and --peer give it. */
export function parsePeerAddress(text: string): PeerAddress {
  const m = /^\[?([^[\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new PairError('PAIR_BAD_ADDRESS', `The address "${text.slice(0, 80)}" is not host:port; give the other server's pair link, for example 10.0.0.2:6100.`);
  }
  return { host: m[1]!, port };
}

export const formatAddress = (a: PeerAddress): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

export interface PeerCall {
  /** The fingerprint of the certificate the other side showed (it passed `accept`). */
  fingerprint: string;
  certPem: string;
  reply: Extract<PairReply, { ok: true }>;
}

/**
 * One request to the server at `address`. `accept` says whether the certificate it shows
 * (by fingerprint) is the peer's; when not, nothing is sent and the call fails. A request
 * given as a function is made once the peer is known (what to send depends on which).
 */
export function callPeer(address: PeerAddress, creds: PairCredentials, accept: (fingerprint: string) => boolean,
  request: PairRequest | ((fingerprint: string) => PairRequest), timeoutMs = 10_000): Promise<PeerCall> {
  const where = formatAddress(address);
  return new Promise((resolve, reject) => {
    const socket = connect(pairClientTls(creds, address.host, address.port));
    let settled = false;
    const fail = (e: PairError) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(e);
    };
    socket.setTimeout(timeoutMs, () => fail(new PairError('PAIR_TIMEOUT', `The server at ${where} did not answer on the pair link within ${Math.round(timeoutMs / 1000)} s.`)));
    socket.on('error', (e: NodeJS.ErrnoException) => fail(new PairError('PAIR_UNREACHABLE', `The server at ${where} cannot be reached on the pair link (${e.code ?? e.message}); check that qkmd runs there with [pair] role primary or secondary, and the address.`, { cause: e })));
    socket.on('close', () => fail(new PairError('PAIR_CLOSED', `The server at ${where} closed the pair link without an answer.`)));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const fingerprint = cert?.fingerprint256 ?? '';
      if (!accept(fingerprint)) {
        return fail(new PairError('PAIR_WRONG_PEER', `The server at ${where} is not the expected peer: its pair certificate's fingerprint is ${fingerprint || 'missing'}; nothing was sent to it.`));
      }
      const certPem = pemOfDer(cert.raw);
      readLines(socket, (line) => {
        if (settled) return;
        let reply: PairReply;
        try {
          reply = JSON.parse(line) as PairReply;
        } catch {
          return fail(new PairError('PAIR_BAD_REPLY', `The server at ${where} answered something that is not a pair link reply.`));
        }
        // The peer runs this software: its refusal's code is one of the catalogue's.
        if (!reply.ok) return fail(new PairError(reply.code as ErrorCode, reply.message));
        settled = true;
        socket.end();
        resolve({ fingerprint, certPem, reply });
      }, () => fail(new PairError('PAIR_BAD_REPLY', `The server at ${where} answered with a line longer than the pair link accepts.`)));
      try {
        writeLine(socket, typeof request === 'function' ? request(fingerprint) : request);
      } catch (e) {
        fail(e instanceof PairError ? e : new PairError('PAIR_REQUEST', `The request for the server at ${where} could not be made (${(e as Error).message}).`, { cause: e }));
      }
    });
  });
}
