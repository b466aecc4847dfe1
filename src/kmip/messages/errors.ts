/**
 * Problems with a request that a KMIP server answers with an Operation Failed
 * response rather than by dropping the connection. Each carries the Result Reason
 * to send, and the protocol version to answer in when the request got far enough
 * for us to know it.
 */
import { QkmError } from '../../errors.js';
import type { ProtocolVersion } from './version.js';

export type KmipMessageErrorCode =
  /** Not TTLV, or TTLV that is not a well-formed Request Message. */
  | 'KMIP_INVALID_MESSAGE'
  /** Larger than the configured message size bound. */
  | 'KMIP_MESSAGE_TOO_LARGE'
  /** A protocol version this server does not speak. */
  | 'KMIP_UNSUPPORTED_VERSION'
  /** More batch items than the configured bound. */
  | 'KMIP_BATCH_TOO_LARGE'
  /** The encoded response exceeds the request's Maximum Response Size. */
  | 'KMIP_RESPONSE_TOO_LARGE'
  /** An attribute that has no encoding in the protocol version at hand. */
  | 'KMIP_UNSUPPORTED_ATTRIBUTE'
  /** An attribute structure or reference that is malformed. */
  | 'KMIP_INVALID_ATTRIBUTE';

export interface KmipMessageErrorDetails {
  /** The Result Reason enumeration value to put in the response. */
  resultReason: number;
  /** The version to answer in; absent when the request was unreadable before its header. */
  protocolVersion?: ProtocolVersion;
  /** Set when the problem lies in one batch item, so the answer can echo it. */
  operation?: number;
  uniqueBatchItemId?: Uint8Array;
  cause?: unknown;
}

export class KmipMessageError extends QkmError<KmipMessageErrorCode> {
  readonly resultReason: number;
  readonly protocolVersion: ProtocolVersion | undefined;
  readonly operation: number | undefined;
  readonly uniqueBatchItemId: Uint8Array | undefined;

  constructor(code: KmipMessageErrorCode, message: string, details: KmipMessageErrorDetails) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.resultReason = details.resultReason;
    this.protocolVersion = details.protocolVersion;
    this.operation = details.operation;
    this.uniqueBatchItemId = details.uniqueBatchItemId;
  }
}

export function isKmipMessageError(e: unknown): e is KmipMessageError {
  return e instanceof KmipMessageError;
}
