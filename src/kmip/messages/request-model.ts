/**
 * The shape of a decoded Request Message, apart from the code that reads and writes it
 * (request.ts), so that the fast paths that build one (single-id-request.ts) need not
 * import their own caller.
 */
import type { TtlvItem, TtlvStructure } from '../ttlv/index.js';
import type { ProtocolVersion } from './version.js';

export interface RequestHeader {
  protocolVersion: ProtocolVersion;
  maximumResponseSize?: number;
  /** 1.4 */
  clientCorrelationValue?: string;
  /** 1.4 */
  serverCorrelationValue?: string;
  asynchronousIndicator?: boolean;
  /**
   * Accepted and kept, never checked here: on the appliance the TLS client
   * certificate is what authenticates a library.
   */
  authentication?: TtlvItem;
  /** Absent means Stop (Batch Error Continuation Option enumeration). */
  batchErrorContinuationOption?: number;
  /** Absent means true: items run in order. */
  batchOrderOption?: boolean;
  timeStamp?: Date;
  batchCount: number;
}

export interface RequestBatchItem {
  /** The Operation enumeration value, unchecked: unknown ones become Operation Not Supported upstream. */
  operation: number;
  /** 2.x */
  ephemeral?: boolean;
  /** Echoed in the response item; required by the spec when Batch Count > 1, tolerated when missing. */
  uniqueBatchItemId?: Uint8Array;
  payload: TtlvStructure;
  messageExtensions?: TtlvItem[];
}

export interface RequestMessage {
  header: RequestHeader;
  batchItems: RequestBatchItem[];
}
