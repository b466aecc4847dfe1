/**
 * Request Message (KMIP 1.x §7.1-7.2, 2.x §8.1-8.3): bytes to plain values and back.
 * The payload of each batch item stays a TTLV Structure; reading it is the job of
 * the operation that the item names.
 */
import {
  ResultReason,
  Tag,
  TtlvError,
  boolean,
  byteString,
  dateTime,
  decodeTtlv,
  encodeTtlv,
  enumeration,
  findChildren,
  integer,
  structure,
  textString,
  type TtlvItem,
  type TtlvLimits,
} from '../ttlv/index.js';
import { KmipMessageError } from './errors.js';
import type { RequestBatchItem, RequestHeader, RequestMessage } from './request-model.js';
import { decodeSingleIdRequest } from './single-id-request.js';
import { invalidMessage, optionalDate, optionalField, readProtocolVersion, requiredField, type FieldContext } from './fields.js';
import {
  SUPPORTED_VERSIONS,
  answeringVersion,
  formatVersion,
  protocolVersionItem,
  sameVersion,
  type ProtocolVersion,
} from './version.js';

export type { RequestBatchItem, RequestHeader, RequestMessage } from './request-model.js';

export interface RequestLimits extends Partial<TtlvLimits> {
  /** Most batch items accepted in one request; default 32. */
  maxBatchItems?: number;
  /** Versions to accept; default SUPPORTED_VERSIONS (1.0 to 2.1). */
  supportedVersions?: readonly ProtocolVersion[];
}

export const DEFAULT_MAX_BATCH_ITEMS = 32;

/**
 * Decodes and checks a Request Message. Throws only KmipMessageError, whose
 * `resultReason` and `protocolVersion` say how to answer.
 */
export function decodeRequestMessage(bytes: Uint8Array, limits?: RequestLimits): RequestMessage {
  const common = decodeSingleIdRequest(bytes, limits, limits?.supportedVersions ?? SUPPORTED_VERSIONS);
  if (common !== undefined) return common;
  let root: TtlvItem;
  try {
    root = decodeTtlv(bytes, limits);
  } catch (e) {
    if (!(e instanceof TtlvError)) throw e;
    if (e.code === 'TTLV_TOO_LARGE') {
      throw new KmipMessageError('KMIP_MESSAGE_TOO_LARGE', `request refused: ${e.message}`, {
        resultReason: ResultReason.InvalidMessage,
        cause: e,
      });
    }
    throw invalidMessage(`request is not valid TTLV: ${e.message}`, {}, e);
  }
  return parseRequestMessage(root, limits);
}

/** Checks an already decoded tree; same errors as decodeRequestMessage. */
export function parseRequestMessage(root: TtlvItem, limits?: RequestLimits): RequestMessage {
  if (root.tag !== Tag.RequestMessage || root.type !== 'Structure') {
    throw invalidMessage('the message is not a Request Message structure');
  }
  const headers = findChildren(root, Tag.RequestHeader);
  if (headers.length !== 1 || headers[0]!.type !== 'Structure') {
    throw invalidMessage('a Request Message needs exactly one Request Header structure');
  }
  const header = parseHeader(headers[0]!, limits);
  const ctx: FieldContext = { protocolVersion: header.protocolVersion };

  const maxBatchItems = limits?.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS;
  const items = findChildren(root, Tag.BatchItem);
  if (header.batchCount > maxBatchItems || items.length > maxBatchItems) {
    throw new KmipMessageError(
      'KMIP_BATCH_TOO_LARGE',
      `a batch of ${Math.max(header.batchCount, items.length)} items exceeds this server's limit of ${maxBatchItems}`,
      {
        // 1.x has no reason closer than Invalid Message; 2.x has one for exactly this.
        resultReason: header.protocolVersion.major >= 2 ? ResultReason.ServerLimitExceeded : ResultReason.InvalidMessage,
        protocolVersion: header.protocolVersion,
      },
    );
  }
  if (items.length !== header.batchCount) {
    throw invalidMessage(`Batch Count says ${header.batchCount} but ${items.length} batch items follow`, ctx);
  }
  return { header, batchItems: items.map((item) => parseBatchItem(item, ctx)) };
}

function parseHeader(h: TtlvItem, limits?: RequestLimits): RequestHeader {
  const pv = optionalField(h, Tag.ProtocolVersion, 'Structure');
  if (pv === undefined) throw invalidMessage('the Request Header lacks its Protocol Version');
  const protocolVersion = readProtocolVersion(structure(Tag.ProtocolVersion, pv));
  checkVersion(protocolVersion, limits?.supportedVersions ?? SUPPORTED_VERSIONS);
  const ctx: FieldContext = { protocolVersion };

  const batchCount = requiredField(h, Tag.BatchCount, 'Integer', ctx);
  if (batchCount < 1) throw invalidMessage(`Batch Count must be at least 1, got ${batchCount}`, ctx);
  const header: RequestHeader = { protocolVersion, batchCount };

  const maximumResponseSize = optionalField(h, Tag.MaximumResponseSize, 'Integer', ctx);
  if (maximumResponseSize !== undefined) {
    if (maximumResponseSize < 1) throw invalidMessage('Maximum Response Size must be positive', ctx);
    header.maximumResponseSize = maximumResponseSize;
  }
  const clientCorrelationValue = optionalField(h, Tag.ClientCorrelationValue, 'TextString', ctx);
  if (clientCorrelationValue !== undefined) header.clientCorrelationValue = clientCorrelationValue;
  const serverCorrelationValue = optionalField(h, Tag.ServerCorrelationValue, 'TextString', ctx);
  if (serverCorrelationValue !== undefined) header.serverCorrelationValue = serverCorrelationValue;
  const asynchronousIndicator = optionalField(h, Tag.AsynchronousIndicator, 'Boolean', ctx);
  if (asynchronousIndicator !== undefined) header.asynchronousIndicator = asynchronousIndicator;
  const authentication = findChildren(h, Tag.Authentication);
  if (authentication.length > 1) throw invalidMessage('Authentication appears more than once', ctx);
  if (authentication[0] !== undefined) header.authentication = authentication[0];
  const continuation = optionalField(h, Tag.BatchErrorContinuationOption, 'Enumeration', ctx);
  if (continuation !== undefined) header.batchErrorContinuationOption = continuation;
  const batchOrderOption = optionalField(h, Tag.BatchOrderOption, 'Boolean', ctx);
  if (batchOrderOption !== undefined) header.batchOrderOption = batchOrderOption;
  const timeStamp = optionalDate(h, Tag.TimeStamp, ctx);
  if (timeStamp !== undefined) header.timeStamp = timeStamp;
  return header;
}

function checkVersion(requested: ProtocolVersion, supported: readonly ProtocolVersion[]): void {
  if (supported.some((v) => sameVersion(v, requested))) return;
  const answer = answeringVersion(requested, supported);
  throw new KmipMessageError(
    'KMIP_UNSUPPORTED_VERSION',
    `KMIP ${formatVersion(requested)} is not supported; this server speaks ${supported.map(formatVersion).join(', ')}`,
    {
      // Unsupported Protocol Version exists only from 2.0; a 1.x answer can only say Invalid Message.
      resultReason: answer.major >= 2 ? ResultReason.UnsupportedProtocolVersion : ResultReason.InvalidMessage,
      protocolVersion: answer,
    },
  );
}

function parseBatchItem(item: TtlvItem, messageCtx: FieldContext): RequestBatchItem {
  if (item.type !== 'Structure') throw invalidMessage('a Batch Item must be a structure', messageCtx);
  // Read the id first so that any later complaint about this item can echo it.
  const uniqueBatchItemId = optionalField(item, Tag.UniqueBatchItemID, 'ByteString', messageCtx);
  const ctx: FieldContext = { ...messageCtx, ...(uniqueBatchItemId && { uniqueBatchItemId }) };
  const operation = requiredField(item, Tag.Operation, 'Enumeration', ctx);
  ctx.operation = operation;
  const payload = requiredField(item, Tag.RequestPayload, 'Structure', ctx);

  const parsed: RequestBatchItem = { operation, payload: structure(Tag.RequestPayload, payload) };
  if (uniqueBatchItemId !== undefined) parsed.uniqueBatchItemId = uniqueBatchItemId;
  const ephemeral = optionalField(item, Tag.Ephemeral, 'Boolean', ctx);
  if (ephemeral !== undefined) parsed.ephemeral = ephemeral;
  const extensions = findChildren(item, Tag.MessageExtension);
  if (extensions.length > 0) parsed.messageExtensions = extensions;
  return parsed;
}

/** Encodes a Request Message, fields in specification order (for clients and tests). */
export function encodeRequestMessage(msg: RequestMessage): Buffer {
  const h = msg.header;
  const header: TtlvItem[] = [protocolVersionItem(h.protocolVersion)];
  if (h.maximumResponseSize !== undefined) header.push(integer(Tag.MaximumResponseSize, h.maximumResponseSize));
  if (h.clientCorrelationValue !== undefined) header.push(textString(Tag.ClientCorrelationValue, h.clientCorrelationValue));
  if (h.serverCorrelationValue !== undefined) header.push(textString(Tag.ServerCorrelationValue, h.serverCorrelationValue));
  if (h.asynchronousIndicator !== undefined) header.push(boolean(Tag.AsynchronousIndicator, h.asynchronousIndicator));
  if (h.authentication !== undefined) header.push(h.authentication);
  if (h.batchErrorContinuationOption !== undefined) {
    header.push(enumeration(Tag.BatchErrorContinuationOption, h.batchErrorContinuationOption));
  }
  if (h.batchOrderOption !== undefined) header.push(boolean(Tag.BatchOrderOption, h.batchOrderOption));
  if (h.timeStamp !== undefined) header.push(dateTime(Tag.TimeStamp, h.timeStamp));
  header.push(integer(Tag.BatchCount, msg.batchItems.length));

  const items = msg.batchItems.map((b) => {
    const fields: TtlvItem[] = [enumeration(Tag.Operation, b.operation)];
    if (b.ephemeral !== undefined) fields.push(boolean(Tag.Ephemeral, b.ephemeral));
    if (b.uniqueBatchItemId !== undefined) fields.push(byteString(Tag.UniqueBatchItemID, b.uniqueBatchItemId));
    fields.push(structure(Tag.RequestPayload, b.payload.value));
    if (b.messageExtensions) fields.push(...b.messageExtensions);
    return structure(Tag.BatchItem, fields);
  });
  return encodeTtlv(structure(Tag.RequestMessage, [structure(Tag.RequestHeader, header), ...items]));
}
