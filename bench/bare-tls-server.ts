/**
 * The benchmarks' ceiling: a bare Node TLS server with the key server's TLS policy that
 * answers every frame at once with one canned Get response (no decoding, no engine).
 * Run as its own process by startBare (bench/processes.ts):
 *
 *   node dist/bench/bare-tls-server.js TLSDIR   (TLSDIR holds qkmd's ca.pem, server.pem, server.key,
 *                                                server-ecdsa.pem and server-ecdsa.key)
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { encodeResponseMessage } from '../src/kmip/messages/index.js';
import { keyServerTlsOptions, TICKET_KEY_BYTES } from '../src/kmip/tls/tls-policy.js';
import {
  CryptographicAlgorithm,
  KeyFormatType,
  ObjectType,
  Operation,
  ResultStatus,
  Tag,
  byteString,
  enumeration,
  integer,
  structure,
  textString,
} from '../src/kmip/ttlv/index.js';
import { Frames, VERSION_1_2 } from './kmip-client.js';

/** What the bare server answers to everything: a Get response of a real Get's size. */
function cannedGetResponse(): Buffer {
  const block = structure(Tag.KeyBlock, [
    enumeration(Tag.KeyFormatType, KeyFormatType.Raw),
    structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, new Uint8Array(32).fill(0x5a))]),
    enumeration(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
    integer(Tag.CryptographicLength, 256),
  ]);
  return Buffer.from(
    encodeResponseMessage({
      protocolVersion: VERSION_1_2,
      timeStamp: new Date(),
      batchItems: [
        {
          operation: Operation.Get,
          resultStatus: ResultStatus.Success,
          payload: [
            enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
            textString(Tag.UniqueIdentifier, 'SIM-0000000000000000-000000'),
            structure(Tag.SymmetricKey, [block]),
          ],
        },
      ],
    }),
  );
}

/** A TLS server with our policy that answers every frame at once. */
async function bareServer(tlsDir: string): Promise<void> {
  const files = ['ca.pem', 'server.pem', 'server.key', 'server-ecdsa.pem', 'server-ecdsa.key'];
  const [ca, cert, key, ecdsaCert, ecdsaKey] = await Promise.all(files.map((f) => readFile(path.join(tlsDir, f), 'utf8')));
  const material = { caCertPem: ca!, serverCertPem: cert!, serverKeyPem: key!, serverEcdsaCertPem: ecdsaCert!, serverEcdsaKeyPem: ecdsaKey! };
  const canned = cannedGetResponse();
  const bulk = Buffer.concat(Array.from({ length: 64 }, () => canned));
  const server = createTlsServer(keyServerTlsOptions(material, 10_000, randomBytes(TICKET_KEY_BYTES)), (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const frames = new Frames((_buf, starts) => {
      let n = starts.length;
      while (n > 0) {
        const k = Math.min(n, 64);
        socket.write(k === 64 ? bulk : bulk.subarray(0, k * canned.length));
        n -= k;
      }
    });
    socket.on('data', (d: Buffer) => frames.push(d));
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`bare listening on ${(server.address() as { port: number }).port}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
  process.once('disconnect', () => process.exit(0));
}

await bareServer(process.argv[2]!);
