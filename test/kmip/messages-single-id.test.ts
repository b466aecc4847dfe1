/**
 * The direct reading of the commonest request (one item, one Unique Identifier) must be
 * invisible: whatever it accepts, the general decoder accepts with the same result, and
 * everything else is left to the general decoder. Checked on every byte of such requests.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_VERSIONS, decodeRequestMessage, encodeRequestMessage, parseRequestMessage, type RequestMessage } from '../../src/kmip/messages/index.js';
import { decodeSingleIdRequest } from '../../src/kmip/messages/single-id-request.js';
import { Operation, Tag, decodeTtlv, structure, textString } from '../../src/kmip/ttlv/index.js';
import { loadWireVectors } from './ttlv-golden-vectors.js';

/** The general path: an item tree, then the message checks. */
function general(bytes: Uint8Array): RequestMessage | Error {
  try {
    return parseRequestMessage(decodeTtlv(bytes));
  } catch (e) {
    return e as Error;
  }
}

function singleIdRequest(version: { major: number; minor: number }, operation: number, uid: string): Buffer {
  return encodeRequestMessage({
    header: { protocolVersion: version, batchCount: 1 },
    batchItems: [{ operation, payload: structure(Tag.RequestPayload, [textString(Tag.UniqueIdentifier, uid)]) }],
  });
}

const printable = (n: number) => Array.from({ length: n }, () => String.fromCharCode(randomInt(0x20, 0x7f))).join('');

/** Same answer as the general decoder, or none. */
function expectAgrees(bytes: Uint8Array): RequestMessage | undefined {
  const quick = decodeSingleIdRequest(bytes, undefined, SUPPORTED_VERSIONS);
  if (quick !== undefined) expect(general(bytes)).toEqual(quick);
  return quick;
}

describe('reading a one-identifier request directly', () => {
  const requests = [
    ...SUPPORTED_VERSIONS.flatMap((v) => [0, 1, 7, 8, 9, 27, 36].map((n) => singleIdRequest(v, Operation.Get, printable(n)))),
    singleIdRequest({ major: 1, minor: 2 }, Operation.GetAttributes, 'QKMSIM001-0011223344556677-000042'),
    singleIdRequest({ major: 1, minor: 4 }, Operation.Destroy, 'QKMSIM001-0011223344556677-000042'),
    singleIdRequest({ major: 2, minor: 0 }, 0x7777, 'an operation nobody knows'),
  ];

  it('reads each request exactly as the general decoder does', () => {
    for (const bytes of requests) {
      const quick = expectAgrees(bytes);
      expect(quick, 'the request is of the shape read directly').toBeDefined();
      expect(decodeRequestMessage(bytes)).toEqual(quick);
    }
  });

  it('never differs from the general decoder when any byte of such a request changes', () => {
    let acceptedChanged = 0;
    for (const original of requests) {
      for (let at = 0; at < original.length; at++) {
        for (const change of [(b: number) => b ^ 0x01, (b: number) => b ^ 0x80, () => 0x00, () => 0xff, () => 0x41]) {
          const bytes = Buffer.from(original);
          bytes[at] = change(bytes[at]!);
          if (bytes.equals(original)) continue;
          if (expectAgrees(bytes) !== undefined) acceptedChanged++;
        }
      }
    }
    // Changed versions, operations and identifiers are still that shape; the test must see some.
    expect(acceptedChanged).toBeGreaterThan(100);
  });

  it('leaves longer, shorter and other requests to the general decoder, agreeing wherever it reads one', () => {
    const get = singleIdRequest({ major: 1, minor: 2 }, Operation.Get, 'QKMSIM001-0011223344556677-000042');
    expect(decodeSingleIdRequest(get.subarray(0, get.length - 8), undefined, SUPPORTED_VERSIONS)).toBeUndefined();
    expect(decodeSingleIdRequest(Buffer.concat([get, Buffer.alloc(8)]), undefined, SUPPORTED_VERSIONS)).toBeUndefined();
    expect(decodeSingleIdRequest(get, { maxMessageSize: get.length - 8 }, SUPPORTED_VERSIONS)).toBeUndefined();
    expect(decodeSingleIdRequest(get, undefined, [{ major: 2, minor: 1 }])).toBeUndefined();
    expect(decodeSingleIdRequest(singleIdRequest({ major: 1, minor: 2 }, Operation.Get, 'bibliothèque'), undefined, SUPPORTED_VERSIONS)).toBeUndefined();
    for (const v of loadWireVectors().filter((w) => w.kind === 'req')) expectAgrees(v.bytes);
    for (let i = 0; i < 2000; i++) expectAgrees(randomBytes(randomInt(0, 200)));
  });
});
