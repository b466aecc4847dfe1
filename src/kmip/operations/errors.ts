/**
 * Every refusal an operation can give, and the Result Reason it becomes in each protocol
 * version. KMIP 2.0 added precise reasons (Wrong Key Lifecycle State, Attribute Read
 * Only, ...) and retired some 1.x ones (Illegal Operation), so a refusal names its
 * reason per version family, and a 1.x client never receives a number it cannot know.
 */
import { type ErrorCode, QkmError, isQkmError, sentenceOf } from '../../errors.js';
import { boundText } from '../../util/bounded-text.js';
import { isKmipMessageError } from '../messages/index.js';
import { ResultReason as R } from '../ttlv/index.js';
import type { ProtocolVersion } from '../messages/index.js';
import { KMIP_WORDS } from './words.js';

/** [reason for 1.x, reason for 2.x] */
type Reasons = readonly [number, number];

const BY_CODE: { readonly [C in ErrorCode]?: Reasons } = {
  // object store (src/engine/object-errors.ts)
  OBJECT_NOT_FOUND: [R.ItemNotFound, R.ItemNotFound],
  OBJECT_DESTROYED: [R.ItemNotFound, R.ObjectDestroyed],
  // KMIP 1.x: an operation the object's state forbids is Permission Denied (as PyKMIP's server answers too).
  WRONG_STATE: [R.PermissionDenied, R.WrongKeyLifecycleState],
  ATTRIBUTE_READ_ONLY: [R.PermissionDenied, R.AttributeReadOnly],
  ATTRIBUTE_NOT_FOUND: [R.ItemNotFound, R.AttributeNotFound],
  ATTRIBUTE_SINGLE_VALUED: [R.IllegalOperation, R.AttributeSingleValued],
  ATTRIBUTE_UNSUPPORTED: [R.InvalidField, R.UnsupportedAttribute],
  ATTRIBUTE_INVALID: [R.InvalidField, R.InvalidAttributeValue],
  ATTRIBUTE_LIMIT: [R.InvalidField, R.ServerLimitExceeded],
  MATERIAL_INVALID: [R.InvalidField, R.InvalidField],
  // key engine: a library with no usable key. No reason says "no keys yet", so General
  // Failure, with the Result Message naming the cause, the ticket and whom to ask (words.ts).
  NO_KEY_SET: [R.GeneralFailure, R.GeneralFailure],
  KEYS_PENDING_BACKUP: [R.GeneralFailure, R.GeneralFailure],
  NEEDS_SYNC: [R.GeneralFailure, R.GeneralFailure],
  KEYS_EXHAUSTED: [R.GeneralFailure, R.GeneralFailure],
  PEER_DID_NOT_STORE: [R.GeneralFailure, R.GeneralFailure],
  KEYS_PENDING_PEER: [R.GeneralFailure, R.GeneralFailure],
  BAD_TAPE: [R.InvalidField, R.InvalidField],
  BAD_DRIVE: [R.InvalidField, R.InvalidField],
  // the certificate names no library this server can serve
  BAD_LIBRARY: [R.PermissionDenied, R.PermissionDenied],
  BAD_CLASS: [R.InvalidField, R.InvalidField],
  KEY_RECORD_DAMAGED: [R.GeneralFailure, R.GeneralFailure],
  // operations layer
  INVALID_FIELD: [R.InvalidField, R.InvalidField],
  NO_IDENTIFIER: [R.ItemNotFound, R.ItemNotFound],
  OBJECT_TYPE: [R.InvalidField, R.InvalidObjectType],
  KEY_FORMAT: [R.KeyFormatTypeNotSupported, R.KeyFormatTypeNotSupported],
  FEATURE: [R.FeatureNotSupported, R.FeatureNotSupported],
  NOT_SUPPORTED: [R.OperationNotSupported, R.OperationNotSupported],
  USAGE_MASK: [R.IllegalOperation, R.IncompatibleCryptographicUsageMask],
};

export type OperationErrorCode =
  | 'INVALID_FIELD'
  | 'NO_IDENTIFIER'
  | 'OBJECT_TYPE'
  | 'KEY_FORMAT'
  | 'FEATURE'
  | 'NOT_SUPPORTED'
  | 'USAGE_MASK'
  | 'WRONG_STATE'
  | 'BAD_LIBRARY';

/** A request an operation understands but refuses. */
export class OperationError<C extends OperationErrorCode = OperationErrorCode> extends QkmError<C> {}

export interface Failure {
  resultReason: number;
  resultMessage: string;
  /** False for faults of ours (a bug, a damaged store): logged as errors, not as a client's mistake. */
  expected: boolean;
}

/**
 * The longest Result Message sent. Messages quote client values shortened already
 * (quoteClientValue); this bound holds for any message that might not.
 */
export const RESULT_MESSAGE_MAX = 1024;

/** The Result Reason and Message for anything an operation threw, in the answering version. */
export function failureOf(e: unknown, version: ProtocolVersion): Failure {
  if (isKmipMessageError(e)) return { resultReason: e.resultReason, resultMessage: boundText(e.message, RESULT_MESSAGE_MAX), expected: true };
  if (isQkmError(e)) {
    const reasons = BY_CODE[e.code];
    if (reasons) return { resultReason: version.major >= 2 ? reasons[1] : reasons[0], resultMessage: boundText(sentenceOf(e, KMIP_WORDS), RESULT_MESSAGE_MAX), expected: e.code !== 'KEY_RECORD_DAMAGED' };
  }
  return { resultReason: R.GeneralFailure, resultMessage: 'The server failed to carry out this operation; the administrator will find the cause in its log.', expected: false };
}
