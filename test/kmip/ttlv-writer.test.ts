/**
 * The open-and-close writer and the response encoder built on it must give exactly the
 * bytes of the general encoder run over the same message as a tree of items.
 */
import { describe, expect, it } from 'vitest';
import { decodeResponseMessage, encodeResponseMessage, protocolVersionItem, type ResponseBatchItem, type ResponseMessage } from '../../src/kmip/messages/index.js';
import {
  KeyFormatType,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  Tag,
  TtlvWriter,
  boolean,
  byteString,
  dateTime,
  encodeTtlv,
  enumeration,
  integer,
  longInteger,
  structure,
  textString,
  type TtlvItem,
} from '../../src/kmip/ttlv/index.js';
import { toHex } from './ttlv-golden-vectors.js';

/** The Response Message as one tree of items, fields in specification order: the reference. */
function responseTree(msg: ResponseMessage): TtlvItem {
  const header: TtlvItem[] = [protocolVersionItem(msg.protocolVersion)];
  if (msg.clientCorrelationValue !== undefined) header.push(textString(Tag.ClientCorrelationValue, msg.clientCorrelationValue));
  if (msg.serverCorrelationValue !== undefined) header.push(textString(Tag.ServerCorrelationValue, msg.serverCorrelationValue));
  header.push(dateTime(Tag.TimeStamp, msg.timeStamp), integer(Tag.BatchCount, msg.batchItems.length));
  const items = msg.batchItems.map((b) => {
    const fields: TtlvItem[] = [];
    if (b.operation !== undefined) fields.push(enumeration(Tag.Operation, b.operation));
    if (b.uniqueBatchItemId !== undefined) fields.push(byteString(Tag.UniqueBatchItemID, b.uniqueBatchItemId));
    fields.push(enumeration(Tag.ResultStatus, b.resultStatus));
    if (b.resultReason !== undefined) fields.push(enumeration(Tag.ResultReason, b.resultReason));
    if (b.resultMessage !== undefined) fields.push(textString(Tag.ResultMessage, b.resultMessage));
    if (b.asynchronousCorrelationValue !== undefined) fields.push(byteString(Tag.AsynchronousCorrelationValue, b.asynchronousCorrelationValue));
    if (b.payload !== undefined) fields.push(structure(Tag.ResponsePayload, b.payload));
    if (b.messageExtensions) fields.push(...b.messageExtensions);
    return structure(Tag.BatchItem, fields);
  });
  return structure(Tag.ResponseMessage, [structure(Tag.ResponseHeader, header), ...items]);
}

const getPayload = (material: Uint8Array): TtlvItem[] => [
  enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
  textString(Tag.UniqueIdentifier, 'QKMTEST01-0123456789abcdef-000001'),
  structure(Tag.SymmetricKey, [
    structure(Tag.KeyBlock, [
      enumeration(Tag.KeyFormatType, KeyFormatType.Raw),
      structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, material)]),
      enumeration(Tag.CryptographicAlgorithm, 3),
      integer(Tag.CryptographicLength, 256),
    ]),
  ]),
];

const at = new Date(Date.UTC(2026, 10, 25, 8, 0, 0));
const success: ResponseBatchItem = { operation: Operation.Get, resultStatus: ResultStatus.Success, payload: getPayload(new Uint8Array(32).fill(0xa5)) };
const failure: ResponseBatchItem = {
  operation: Operation.Get,
  uniqueBatchItemId: new Uint8Array([0, 0, 0, 7]),
  resultStatus: ResultStatus.OperationFailed,
  resultReason: ResultReason.ItemNotFound,
  resultMessage: 'No key "x" is known to library LIB1 — ünïcode too.',
};

const messages: Record<string, ResponseMessage> = {
  'a Get': { protocolVersion: { major: 1, minor: 2 }, timeStamp: at, batchItems: [success] },
  'a failure with an id': { protocolVersion: { major: 2, minor: 0 }, timeStamp: at, batchItems: [failure] },
  'correlation values, an empty payload, extensions and an async value': {
    protocolVersion: { major: 1, minor: 4 },
    timeStamp: at,
    clientCorrelationValue: 'client-1',
    serverCorrelationValue: 's',
    batchItems: [
      { operation: Operation.Activate, resultStatus: ResultStatus.Success, payload: [] },
      {
        resultStatus: ResultStatus.OperationPending,
        asynchronousCorrelationValue: new Uint8Array(13).fill(1),
        messageExtensions: [structure(Tag.MessageExtension, [textString(Tag.VendorIdentification, 'x'), boolean(Tag.CriticalityIndicator, false)])],
      },
    ],
  },
  'a full batch': { protocolVersion: { major: 1, minor: 0 }, timeStamp: at, batchItems: Array.from({ length: 32 }, (_, i) => (i % 2 ? failure : success)) },
};

describe('the response encoder writes what the general encoder writes', () => {
  for (const [name, msg] of Object.entries(messages)) {
    it(`${name}: byte for byte, and it decodes back`, () => {
      const bytes = encodeResponseMessage(msg);
      expect(toHex(bytes)).toBe(toHex(encodeTtlv(responseTree(msg))));
      expect(decodeResponseMessage(bytes).batchItems).toHaveLength(msg.batchItems.length);
    });
  }

  it('still refuses a failed item without a Result Reason', () => {
    const bad: ResponseMessage = { protocolVersion: { major: 1, minor: 2 }, timeStamp: at, batchItems: [{ resultStatus: ResultStatus.OperationFailed }] };
    expect(() => encodeResponseMessage(bad)).toThrow(expect.objectContaining({ code: 'TTLV_BAD_VALUE' }));
  });
});

describe('TtlvWriter', () => {
  it('begin/end around items gives the bytes of the same Structure written whole', () => {
    const children = [integer(Tag.BatchCount, 1), longInteger(Tag.UsageLimitsCount, -5n), textString(Tag.Name, 'abc'), byteString(Tag.KeyMaterial, new Uint8Array(9))];
    const w = new TtlvWriter();
    const outer = w.begin(Tag.RequestMessage);
    const inner = w.begin(Tag.RequestHeader);
    for (const c of children) w.item(c);
    w.end(inner);
    w.item(enumeration(Tag.Operation, Operation.Get));
    w.end(outer);
    const whole = structure(Tag.RequestMessage, [structure(Tag.RequestHeader, children), enumeration(Tag.Operation, Operation.Get)]);
    expect(toHex(w.finish())).toBe(toHex(encodeTtlv(whole)));
  });

  it('counts opened structures toward the depth bound', () => {
    const w = new TtlvWriter(2);
    w.begin(Tag.RequestMessage);
    w.begin(Tag.RequestHeader);
    expect(() => w.begin(Tag.ProtocolVersion)).toThrow(expect.objectContaining({ code: 'TTLV_TOO_DEEP' }));
  });

  it('will not finish with a structure still open', () => {
    const w = new TtlvWriter();
    w.begin(Tag.RequestMessage);
    expect(() => w.finish()).toThrow(/still open/);
  });

  it('grows past its first buffer', () => {
    const big = structure(Tag.ResponsePayload, Array.from({ length: 100 }, (_, i) => textString(Tag.Name, `name ${i} `.repeat(i % 7))));
    const w = new TtlvWriter();
    w.item(big);
    expect(w.finish().length).toBe(encodeTtlv(big).length);
    expect(toHex(w.finish())).toBe(toHex(encodeTtlv(big)));
  });
});
