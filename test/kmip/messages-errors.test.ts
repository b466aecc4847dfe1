import { describe, expect, it } from 'vitest';
import { makeCase, prng } from '../../bench/ttlv-fuzz.js';
import {
  KmipMessageError,
  decodeRequestMessage,
  decodeResponseMessage,
  encodeRequestMessage,
  encodeResponseMessage,
  errorResponse,
  type KmipMessageErrorCode,
  type RequestLimits,
} from '../../src/kmip/messages/index.js';
import {
  BatchErrorContinuationOption,
  CredentialType,
  Operation,
  ResultReason,
  ResultStatus,
  Tag,
  boolean,
  byteString,
  dateTime,
  encodeTtlv,
  enumeration,
  integer,
  structure,
  textString,
  type TtlvItem,
} from '../../src/kmip/ttlv/index.js';
import { loadWireVectors, wireVector } from './ttlv-golden-vectors.js';

function version(major: number, minor: number): TtlvItem {
  return structure(Tag.ProtocolVersion, [integer(Tag.ProtocolVersionMajor, major), integer(Tag.ProtocolVersionMinor, minor)]);
}

function getItem(id?: string, extra: TtlvItem[] = []): TtlvItem {
  return structure(Tag.BatchItem, [
    enumeration(Tag.Operation, Operation.Get),
    ...(id === undefined ? [] : [byteString(Tag.UniqueBatchItemID, Buffer.from(id))]),
    structure(Tag.RequestPayload, [textString(Tag.UniqueIdentifier, '13')]),
    ...extra,
  ]);
}

function request(header: TtlvItem[], items: TtlvItem[]): Uint8Array {
  return encodeTtlv(structure(Tag.RequestMessage, [structure(Tag.RequestHeader, header), ...items]));
}

function failure(bytes: Uint8Array, limits?: RequestLimits): KmipMessageError {
  try {
    decodeRequestMessage(bytes, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(KmipMessageError);
    return e as KmipMessageError;
  }
  throw new Error('request unexpectedly accepted');
}

function expectFailure(
  bytes: Uint8Array,
  code: KmipMessageErrorCode,
  resultReason: number,
  answerIn?: [number, number],
  limits?: RequestLimits,
): KmipMessageError {
  const e = failure(bytes, limits);
  expect(e.code).toBe(code);
  expect(e.resultReason).toBe(resultReason);
  expect(e.protocolVersion).toEqual(answerIn && { major: answerIn[0], minor: answerIn[1] });
  return e;
}

describe('request header fields', () => {
  it('reads every header field a client may send, Authentication accepted but not judged', () => {
    const auth = structure(Tag.Authentication, [
      structure(Tag.Credential, [
        enumeration(Tag.CredentialType, CredentialType.UsernameAndPassword),
        structure(Tag.CredentialValue, [textString(Tag.Username, 'lib1'), textString(Tag.Password, 'secret')]),
      ]),
    ]);
    const bytes = request(
      [
        version(1, 4),
        integer(Tag.MaximumResponseSize, 4096),
        textString(Tag.ClientCorrelationValue, 'c-1'),
        boolean(Tag.AsynchronousIndicator, false),
        auth,
        enumeration(Tag.BatchErrorContinuationOption, BatchErrorContinuationOption.Continue),
        boolean(Tag.BatchOrderOption, true),
        dateTime(Tag.TimeStamp, new Date('2026-01-02T03:04:05Z')),
        integer(Tag.BatchCount, 2),
      ],
      [getItem('a'), getItem('b', [structure(Tag.MessageExtension, [textString(Tag.VendorIdentification, 'acme')])])],
    );
    const req = decodeRequestMessage(bytes);
    expect(req.header).toEqual({
      protocolVersion: { major: 1, minor: 4 },
      maximumResponseSize: 4096,
      clientCorrelationValue: 'c-1',
      asynchronousIndicator: false,
      authentication: auth,
      batchErrorContinuationOption: BatchErrorContinuationOption.Continue,
      batchOrderOption: true,
      timeStamp: new Date('2026-01-02T03:04:05Z'),
      batchCount: 2,
    });
    expect(req.batchItems.map((b) => Buffer.from(b.uniqueBatchItemId!).toString())).toEqual(['a', 'b']);
    expect(req.batchItems[1]!.messageExtensions).toHaveLength(1);
    expect(Buffer.from(encodeRequestMessage(req)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('accepts every version from 1.0 to 2.1', () => {
    for (const [major, minor] of [[1, 0], [1, 1], [1, 2], [1, 3], [1, 4], [2, 0], [2, 1]] as const) {
      const req = decodeRequestMessage(request([version(major, minor), integer(Tag.BatchCount, 1)], [getItem()]));
      expect(req.header.protocolVersion).toEqual({ major, minor });
    }
  });
});

describe('requests a server must refuse with a KMIP error', () => {
  it('not TTLV at all: Invalid Message, version unknown', () => {
    const e = expectFailure(new Uint8Array([1, 2, 3]), 'KMIP_INVALID_MESSAGE', ResultReason.InvalidMessage);
    expect((e.cause as { code: string }).code).toBe('TTLV_TRUNCATED');
    const bad = Uint8Array.from(wireVector('01-get.req'));
    bad[bad.length - 1] = 0x01; // padding after the Unique Identifier
    expectFailure(bad, 'KMIP_INVALID_MESSAGE', ResultReason.InvalidMessage);
  });

  it('larger than the bound: refused from the header alone', () => {
    const header = Buffer.from('420078010010000000000000', 'hex').subarray(0, 8);
    expectFailure(header, 'KMIP_MESSAGE_TOO_LARGE', ResultReason.InvalidMessage);
    expectFailure(wireVector('00-create.req'), 'KMIP_MESSAGE_TOO_LARGE', ResultReason.InvalidMessage, undefined, {
      maxMessageSize: 256,
    });
  });

  it('a response, or anything else, where a request should be', () => {
    expectFailure(wireVector('00-create.resp'), 'KMIP_INVALID_MESSAGE', ResultReason.InvalidMessage);
    expectFailure(encodeTtlv(textString(Tag.RequestMessage, 'hi')), 'KMIP_INVALID_MESSAGE', ResultReason.InvalidMessage);
  });

  it('unsupported versions: answered in the nearest version we speak', () => {
    const ask = (major: number, minor: number) => request([version(major, minor), integer(Tag.BatchCount, 1)], [getItem()]);
    expectFailure(ask(3, 0), 'KMIP_UNSUPPORTED_VERSION', ResultReason.UnsupportedProtocolVersion, [2, 1]);
    expectFailure(ask(2, 7), 'KMIP_UNSUPPORTED_VERSION', ResultReason.UnsupportedProtocolVersion, [2, 1]);
    expectFailure(ask(1, 9), 'KMIP_UNSUPPORTED_VERSION', ResultReason.InvalidMessage, [1, 4]);
    expectFailure(ask(0, 9), 'KMIP_UNSUPPORTED_VERSION', ResultReason.InvalidMessage, [1, 0]);
    const only1x = { supportedVersions: [{ major: 1, minor: 2 }, { major: 1, minor: 4 }] };
    expectFailure(ask(2, 0), 'KMIP_UNSUPPORTED_VERSION', ResultReason.InvalidMessage, [1, 4], only1x);
  });

  it('batches over the bound (default 32, configurable)', () => {
    const batch = (n: number, major = 1) =>
      request([version(major, major === 1 ? 2 : 0), integer(Tag.BatchCount, n)], Array.from({ length: n }, (_, i) => getItem(String(i))));
    expect(decodeRequestMessage(batch(32)).batchItems).toHaveLength(32);
    expectFailure(batch(33), 'KMIP_BATCH_TOO_LARGE', ResultReason.InvalidMessage, [1, 2]);
    expectFailure(batch(33, 2), 'KMIP_BATCH_TOO_LARGE', ResultReason.ServerLimitExceeded, [2, 0]);
    expectFailure(batch(3), 'KMIP_BATCH_TOO_LARGE', ResultReason.InvalidMessage, [1, 2], { maxBatchItems: 2 });
    // A huge claimed Batch Count is refused without waiting for the items.
    expectFailure(request([version(1, 2), integer(Tag.BatchCount, 1_000_000)], [getItem()]), 'KMIP_BATCH_TOO_LARGE', ResultReason.InvalidMessage, [1, 2]);
  });

  it('malformed headers and batch items: Invalid Message in the request version', () => {
    const v12 = [1, 2] as [number, number];
    const cases: [string, Uint8Array, [number, number] | undefined][] = [
      ['no header', encodeTtlv(structure(Tag.RequestMessage, [getItem()])), undefined],
      ['no version', request([integer(Tag.BatchCount, 1)], [getItem()]), undefined],
      ['version minor missing', request([structure(Tag.ProtocolVersion, [integer(Tag.ProtocolVersionMajor, 1)]), integer(Tag.BatchCount, 1)], [getItem()]), undefined],
      ['no batch count', request([version(1, 2)], [getItem()]), v12],
      ['batch count 0', request([version(1, 2), integer(Tag.BatchCount, 0)], []), v12],
      ['batch count wrong type', request([version(1, 2), enumeration(Tag.BatchCount, 1)], [getItem()]), v12],
      ['count and items disagree', request([version(1, 2), integer(Tag.BatchCount, 2)], [getItem()]), v12],
      ['batch count repeated', request([version(1, 2), integer(Tag.BatchCount, 1), integer(Tag.BatchCount, 1)], [getItem()]), v12],
      ['negative max response size', request([version(1, 2), integer(Tag.MaximumResponseSize, -1), integer(Tag.BatchCount, 1)], [getItem()]), v12],
      ['time stamp as text', request([version(1, 2), textString(Tag.TimeStamp, 'now'), integer(Tag.BatchCount, 1)], [getItem()]), v12],
      ['batch item without payload', request([version(1, 2), integer(Tag.BatchCount, 1)], [structure(Tag.BatchItem, [enumeration(Tag.Operation, 10)])]), v12],
      ['batch item without operation', request([version(1, 2), integer(Tag.BatchCount, 1)], [structure(Tag.BatchItem, [structure(Tag.RequestPayload, [])])]), v12],
      ['operation as integer', request([version(1, 2), integer(Tag.BatchCount, 1)], [structure(Tag.BatchItem, [integer(Tag.Operation, 10), structure(Tag.RequestPayload, [])])]), v12],
      ['batch item not a structure', request([version(1, 2), integer(Tag.BatchCount, 1)], [integer(Tag.BatchItem, 1)]), v12],
    ];
    for (const [what, bytes, answerIn] of cases) {
      const e = failure(bytes);
      expect(e.code, what).toBe('KMIP_INVALID_MESSAGE');
      expect(e.resultReason, what).toBe(ResultReason.InvalidMessage);
      expect(e.protocolVersion, what).toEqual(answerIn && { major: answerIn[0], minor: answerIn[1] });
    }
  });

  it('a bad batch item names itself, so the error answer can echo its id and operation', () => {
    const bad = structure(Tag.BatchItem, [
      enumeration(Tag.Operation, Operation.Get),
      byteString(Tag.UniqueBatchItemID, Buffer.from('b7')),
      textString(Tag.RequestPayload, 'not a structure'),
    ]);
    const e = failure(request([version(1, 2), integer(Tag.BatchCount, 2)], [getItem('a'), bad]));
    expect(e.operation).toBe(Operation.Get);
    expect(Buffer.from(e.uniqueBatchItemId!).toString()).toBe('b7');

    const answer = errorResponse(e, new Date(1_800_000_000_000), { major: 1, minor: 0 });
    const decoded = decodeResponseMessage(encodeResponseMessage(answer));
    expect(decoded.protocolVersion).toEqual({ major: 1, minor: 2 });
    expect(decoded.batchItems).toEqual([
      {
        operation: Operation.Get,
        uniqueBatchItemId: new Uint8Array(Buffer.from('b7')),
        resultStatus: ResultStatus.OperationFailed,
        resultReason: ResultReason.InvalidMessage,
        resultMessage: e.message,
      },
    ]);
  });

  it('an unreadable request is answered in the fallback version', () => {
    const e = failure(new Uint8Array(16));
    const answer = errorResponse(e, new Date(0), { major: 1, minor: 0 });
    expect(answer.protocolVersion).toEqual({ major: 1, minor: 0 });
    expect(answer.batchItems[0]).toMatchObject({ resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.InvalidMessage });
    expect(answer.batchItems[0]!.operation).toBeUndefined();
  });
});

describe('the message layer under fuzzing', () => {
  it('decodeRequestMessage and decodeResponseMessage only ever throw KmipMessageError', () => {
    const seeds = loadWireVectors().map((v) => v.bytes);
    const rand = prng(77);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const input = makeCase(seeds, rand);
      for (const decode of [decodeRequestMessage, decodeResponseMessage]) {
        try {
          decode(input);
          accepted++;
        } catch (e) {
          if (!(e instanceof KmipMessageError)) {
            throw new Error(`case ${i} threw ${String(e)} for ${Buffer.from(input).toString('hex')}`);
          }
        }
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
