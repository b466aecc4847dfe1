import { QkmError } from '../errors.js';

/**
 * The appliance's TLS credentials (CA, server or library certificate) cannot be created,
 * read or trusted. The message tells the administrator what to do; the cause holds detail.
 */
export class CertificateError extends QkmError {}
