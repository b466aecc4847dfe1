import { type ErrorCode, QkmError } from '../errors.js';

/**
 * The appliance's TLS credentials (CA, server or library certificate) cannot be created,
 * read or trusted. The message tells the administrator what to do; the cause holds detail.
 */
export class CertificateError<C extends ErrorCode = ErrorCode> extends QkmError<C> {}
