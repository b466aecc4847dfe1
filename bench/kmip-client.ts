/**
 * The benchmarks' KMIP client: pre-encoded KMIP 1.2 requests, a frame splitter that checks
 * result status by bytes (so the client costs little), and TLS 1.2 connections as a
 * library (PyKMIP's client) makes them.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SCHEMA } from '../src/config/schema.js';
import { decodeResponseMessage, encodeRequestMessage } from '../src/kmip/messages/index.js';
import {
  CryptographicAlgorithm,
  ObjectType,
  Operation,
  Tag,
  enumeration,
  integer,
  structure,
  textString,
  type TtlvItem,
} from '../src/kmip/ttlv/index.js';
import type { Target } from './processes.js';

export const VERSION_1_2 = { major: 1, minor: 2 };

function attribute(name: string, value: TtlvItem): TtlvItem {
  return structure(Tag.Attribute, [textString(Tag.AttributeName, name), value]);
}

export function request(operation: number, payload: TtlvItem[]): Buffer {
  return Buffer.from(
    encodeRequestMessage({
      header: { protocolVersion: VERSION_1_2, batchCount: 1 },
      batchItems: [{ operation, payload: structure(Tag.RequestPayload, payload) }],
    }),
  );
}

/** A plain KMIP 1.2 Create of an AES-256 key, as PyKMIP's client sends it. */
export const CREATE = request(Operation.Create, [
  enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
  structure(Tag.TemplateAttribute, [
    attribute('Cryptographic Algorithm', enumeration(Tag.AttributeValue, CryptographicAlgorithm.AES)),
    attribute('Cryptographic Length', integer(Tag.AttributeValue, 256)),
    attribute('Cryptographic Usage Mask', integer(Tag.AttributeValue, 12)),
  ]),
]);

export const getRequest = (uid: string): Buffer => request(Operation.Get, [textString(Tag.UniqueIdentifier, uid)]);

/** Result Status, Enumeration, length 4: found by bytes so checking costs the client little. */
export const RESULT_STATUS = Buffer.from([0x42, 0x00, 0x7f, 0x05, 0, 0, 0, 4]);

export function statusOf(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(RESULT_STATUS, start);
  return at < 0 || at + 12 > end ? -1 : buf.readUInt32BE(at + 8);
}

export function explain(frame: Buffer): string {
  try {
    const item = decodeResponseMessage(frame).batchItems[0];
    return `status ${item?.resultStatus}, reason ${item?.resultReason}: ${item?.resultMessage ?? ''}`;
  } catch (e) {
    return `undecodable response (${(e as Error).message})`;
  }
}

/** Splits a TLS stream into TTLV frames (header: tag 3, type 1, length 4). */
export class Frames {
  private rest: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrames: (buf: Buffer, starts: number[], ends: number[]) => void) {}
  push(chunk: Buffer): void {
    const buf = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    const starts: number[] = [];
    const ends: number[] = [];
    let off = 0;
    while (buf.length - off >= 8) {
      const end = off + 8 + buf.readUInt32BE(off + 4);
      if (end > buf.length) break;
      starts.push(off);
      ends.push(end);
      off = end;
    }
    this.rest = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
    if (starts.length > 0) this.onFrames(buf, starts, ends);
  }
}

export function connectTo(target: Pick<Target, 'port' | 'tls'>): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: target.port,
      ca: target.tls.ca,
      cert: target.tls.cert,
      key: target.tls.key,
      // PyKMIP's client speaks TLS 1.2 only; every server is measured the way it is used.
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      // The chain is verified; the name is not (the PyKMIP certificate names 127.0.0.1 only by IP SAN).
      checkServerIdentity: () => undefined,
    });
    socket.setNoDelay(true);
    socket.once('secureConnect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * `n` connections, no more handshakes at once than qkmd lets one address hold
 * unauthenticated (it refuses the rest, and the whole client is on 127.0.0.1).
 */
export async function connectMany(target: Pick<Target, 'port' | 'tls'>, n: number, parallel = SCHEMA.kmip.max_unauthenticated_per_address.default): Promise<TLSSocket[]> {
  const sockets: TLSSocket[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, () => connectTo(target)));
    sockets.push(...batch);
  }
  for (const s of sockets) s.on('error', () => {});
  return sockets;
}

/** One request/response over a fresh connection, decoded; for setup. */
export async function exchange(target: Pick<Target, 'port' | 'tls'>, req: Buffer): Promise<Buffer> {
  const socket = await connectTo(target);
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const frames = new Frames((buf, starts, ends) => resolve(Buffer.from(buf.subarray(starts[0], ends[0]))));
      socket.on('data', (d: Buffer) => frames.push(d));
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before answering')));
      socket.write(req);
    });
  } finally {
    socket.destroy();
  }
}
