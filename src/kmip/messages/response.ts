/**
 * Response Message (KMIP 1.x §7.1-7.2, 2.x §8.4-8.6). The server builds plain
 * values and encodes them here; the decoder exists for clients (the simulated
 * library) and for checking captures of other servers.
 */
import {
  ResultReason,
  ResultStatus,
  Tag,
  TtlvError,
  byteString,
  dateTime,
  TtlvWriter,
  decodeTtlv,
  enumeration,
  findChildren,
  integer,
  structure,
  textString,
  type TtlvItem,
  type TtlvLimits,
} from '../ttlv/index.js';
import { KmipMessageError } from './errors.js';
import { invalidMessage, optionalDate, optionalField, readProtocolVersion, requiredField, type FieldContext } from './fields.js';
import { protocolVersionItem, type ProtocolVersion } from './version.js';
import type { RequestBatchItem } from './request.js';

export interface ResponseBatchItem {
  /** Echo of the request item's Operation; required whenever the request had one. */
  operation?: number;
  /** Echo of the request item's Unique Batch Item ID. */
  uniqueBatchItemId?: Uint8Array;
  resultStatus: number;
  /** Required when resultStatus is Operation Failed. */
  resultReason?: number;
  resultMessage?: string;
  asynchronousCorrelationValue?: Uint8Array;
  /** Children of the Response Payload; absent means no payload at all (usual on failure). */
  payload?: TtlvItem[];
  messageExtensions?: TtlvItem[];
}

export interface ResponseMessage {
  /** Must echo the request's version. */
  protocolVersion: ProtocolVersion;
  /** From the injected clock; the wire carries whole seconds. */
  timeStamp: Date;
  /** 1.4 */
  clientCorrelationValue?: string;
  /** 1.4 */
  serverCorrelationValue?: string;
  batchItems: ResponseBatchItem[];
}

export interface EncodeResponseOptions {
  /** The request's Maximum Response Size: larger answers become KMIP_RESPONSE_TOO_LARGE. */
  maximumResponseSize?: number;
}

/**
 * Written straight into one buffer, structure by structure (the key server answers every
 * request through here); the payload's items are the operation's own.
 */
export function encodeResponseMessage(msg: ResponseMessage, options?: EncodeResponseOptions): Buffer {
  const w = new TtlvWriter();
  const message = w.begin(Tag.ResponseMessage);
  const header = w.begin(Tag.ResponseHeader);
  w.item(protocolVersionItem(msg.protocolVersion));
  if (msg.clientCorrelationValue !== undefined) w.item(textString(Tag.ClientCorrelationValue, msg.clientCorrelationValue));
  if (msg.serverCorrelationValue !== undefined) w.item(textString(Tag.ServerCorrelationValue, msg.serverCorrelationValue));
  w.item(dateTime(Tag.TimeStamp, msg.timeStamp));
  w.item(integer(Tag.BatchCount, msg.batchItems.length));
  w.end(header);
  for (const b of msg.batchItems) writeBatchItem(w, b);
  w.end(message);

  const bytes = w.finish();
  if (options?.maximumResponseSize !== undefined && bytes.length > options.maximumResponseSize) {
    throw new KmipMessageError(
      'KMIP_RESPONSE_TOO_LARGE',
      `the response of ${bytes.length} bytes exceeds the client's Maximum Response Size of ${options.maximumResponseSize}`,
      { resultReason: ResultReason.ResponseTooLarge, protocolVersion: msg.protocolVersion },
    );
  }
  return bytes;
}

/** One Batch Item, fields in specification order. */
function writeBatchItem(w: TtlvWriter, b: ResponseBatchItem): void {
  if (b.resultStatus === ResultStatus.OperationFailed && b.resultReason === undefined) {
    throw new TtlvError('TTLV_BAD_VALUE', 'a failed batch item needs a Result Reason');
  }
  const item = w.begin(Tag.BatchItem);
  if (b.operation !== undefined) w.item(enumeration(Tag.Operation, b.operation));
  if (b.uniqueBatchItemId !== undefined) w.item(byteString(Tag.UniqueBatchItemID, b.uniqueBatchItemId));
  w.item(enumeration(Tag.ResultStatus, b.resultStatus));
  if (b.resultReason !== undefined) w.item(enumeration(Tag.ResultReason, b.resultReason));
  if (b.resultMessage !== undefined) w.item(textString(Tag.ResultMessage, b.resultMessage));
  if (b.asynchronousCorrelationValue !== undefined) w.item(byteString(Tag.AsynchronousCorrelationValue, b.asynchronousCorrelationValue));
  if (b.payload !== undefined) {
    const payload = w.begin(Tag.ResponsePayload);
    for (const child of b.payload) w.item(child);
    w.end(payload);
  }
  if (b.messageExtensions) for (const extension of b.messageExtensions) w.item(extension);
  w.end(item);
}

/** The Operation and Unique Batch Item ID a response item must echo from its request item. */
export function echoOf(request: Pick<RequestBatchItem, 'operation' | 'uniqueBatchItemId'>): Pick<ResponseBatchItem, 'operation' | 'uniqueBatchItemId'> {
  return request.uniqueBatchItemId === undefined
    ? { operation: request.operation }
    : { operation: request.operation, uniqueBatchItemId: request.uniqueBatchItemId };
}

/**
 * The whole response to a request that failed as a message (unreadable, wrong
 * version, batch too large): one failed item, echoing what the error knows.
 * `fallbackVersion` is used when the request was unreadable before its version.
 */
export function errorResponse(error: KmipMessageError, now: Date, fallbackVersion: ProtocolVersion): ResponseMessage {
  const item: ResponseBatchItem = {
    resultStatus: ResultStatus.OperationFailed,
    resultReason: error.resultReason,
    resultMessage: error.message,
  };
  if (error.operation !== undefined) item.operation = error.operation;
  if (error.uniqueBatchItemId !== undefined) item.uniqueBatchItemId = error.uniqueBatchItemId;
  return { protocolVersion: error.protocolVersion ?? fallbackVersion, timeStamp: now, batchItems: [item] };
}

/** Decodes a Response Message; throws only KmipMessageError. */
export function decodeResponseMessage(bytes: Uint8Array, limits?: Partial<TtlvLimits>): ResponseMessage {
  let root: TtlvItem;
  try {
    root = decodeTtlv(bytes, limits);
  } catch (e) {
    if (!(e instanceof TtlvError)) throw e;
    throw invalidMessage(`response is not valid TTLV: ${e.message}`, {}, e);
  }
  if (root.tag !== Tag.ResponseMessage || root.type !== 'Structure') {
    throw invalidMessage('the message is not a Response Message structure');
  }
  const h = requiredField(root, Tag.ResponseHeader, 'Structure');
  const header = structure(Tag.ResponseHeader, h);
  const protocolVersion = readProtocolVersion(structure(Tag.ProtocolVersion, requiredField(header, Tag.ProtocolVersion, 'Structure')));
  const ctx: FieldContext = { protocolVersion };
  const timeStamp = optionalDate(header, Tag.TimeStamp, ctx);
  if (timeStamp === undefined) throw invalidMessage('the Response Header lacks its Time Stamp', ctx);
  const batchCount = requiredField(header, Tag.BatchCount, 'Integer', ctx);
  const items = findChildren(root, Tag.BatchItem);
  if (items.length !== batchCount) {
    throw invalidMessage(`Batch Count says ${batchCount} but ${items.length} batch items follow`, ctx);
  }
  const msg: ResponseMessage = { protocolVersion, timeStamp, batchItems: items.map((i) => parseResponseItem(i, ctx)) };
  const client = optionalField(header, Tag.ClientCorrelationValue, 'TextString', ctx);
  if (client !== undefined) msg.clientCorrelationValue = client;
  const server = optionalField(header, Tag.ServerCorrelationValue, 'TextString', ctx);
  if (server !== undefined) msg.serverCorrelationValue = server;
  return msg;
}

function parseResponseItem(item: TtlvItem, ctx: FieldContext): ResponseBatchItem {
  if (item.type !== 'Structure') throw invalidMessage('a Batch Item must be a structure', ctx);
  const parsed: ResponseBatchItem = { resultStatus: requiredField(item, Tag.ResultStatus, 'Enumeration', ctx) };
  const operation = optionalField(item, Tag.Operation, 'Enumeration', ctx);
  if (operation !== undefined) parsed.operation = operation;
  const id = optionalField(item, Tag.UniqueBatchItemID, 'ByteString', ctx);
  if (id !== undefined) parsed.uniqueBatchItemId = id;
  const reason = optionalField(item, Tag.ResultReason, 'Enumeration', ctx);
  if (reason !== undefined) parsed.resultReason = reason;
  const message = optionalField(item, Tag.ResultMessage, 'TextString', ctx);
  if (message !== undefined) parsed.resultMessage = message;
  const correlation = optionalField(item, Tag.AsynchronousCorrelationValue, 'ByteString', ctx);
  if (correlation !== undefined) parsed.asynchronousCorrelationValue = correlation;
  const payload = optionalField(item, Tag.ResponsePayload, 'Structure', ctx);
  if (payload !== undefined) parsed.payload = payload;
  const extensions = findChildren(item, Tag.MessageExtension);
  if (extensions.length > 0) parsed.messageExtensions = extensions;
  return parsed;
}
