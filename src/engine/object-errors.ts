import { KeyEngineError } from '../errors.js';

/**
 * Why the object store refused a request. The codes are stable and protocol-free; the
 * KMIP layer maps each to the Result Reason of the protocol version it answers in.
 */
export type ObjectErrorCode =
  /** No such object for this library (whether or not another library has one). */
  | 'OBJECT_NOT_FOUND'
  /** The object is destroyed: its metadata remains, its key material does not. */
  | 'OBJECT_DESTROYED'
  /** The operation is not allowed in the object's lifecycle state. */
  | 'WRONG_STATE'
  | 'ATTRIBUTE_READ_ONLY'
  | 'ATTRIBUTE_NOT_FOUND'
  | 'ATTRIBUTE_SINGLE_VALUED'
  /** A standard attribute this store does not keep, or a name that is neither standard nor custom. */
  | 'ATTRIBUTE_UNSUPPORTED'
  /** Wrong type, malformed structure, or a value the appliance cannot honour (not AES-256). */
  | 'ATTRIBUTE_INVALID'
  /** Too many attributes on one object, or a value too long. */
  | 'ATTRIBUTE_LIMIT'
  /** Register: key material that is not a 256-bit AES key. */
  | 'MATERIAL_INVALID';

export class ObjectError<C extends ObjectErrorCode = ObjectErrorCode> extends KeyEngineError<C> {}

export function isObjectError(e: unknown): e is ObjectError {
  return e instanceof ObjectError;
}
