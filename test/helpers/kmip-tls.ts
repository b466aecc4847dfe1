/**
 * A tape library's side of the key server, over a real TLS connection: one request
 * message out, its response back, with the client certificate a library bundle holds.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import {
  decodeResponseMessage,
  encodeRequestMessage,
  type ProtocolVersion,
  type RequestBatchItem,
  type ResponseMessage,
} from '../../src/kmip/messages/index.js';
import type { LibraryFiles } from './qkmd-kmip.js';

export interface KmipEndpoint { host: string; port: number }

/** Connects, writes `request`, and resolves with the first whole TTLV message that comes back. */
export function exchangeFrame(options: tls.ConnectionOptions, request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options);
    const chunks: Buffer[] = [];
    socket.on('secureConnect', () => socket.write(request));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 8 && all.length >= 8 + all.readUInt32BE(4)) {
        socket.end();
        resolve(all);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed without a response')));
  });
}

/** Sends one batch as the library whose bundle `files` came from; resolves with the decoded response. */
export async function kmipBatch(server: KmipEndpoint, files: LibraryFiles, version: ProtocolVersion, items: RequestBatchItem[]): Promise<ResponseMessage> {
  const request = encodeRequestMessage({ header: { protocolVersion: version, batchCount: items.length }, batchItems: items });
  const options = {
    host: server.host, port: server.port, servername: 'localhost',
    ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key),
  };
  return decodeResponseMessage(await exchangeFrame(options, request));
}
