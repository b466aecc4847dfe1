import { type ErrorCode, QkmError } from '../errors.js';

/** A key file or a partner's certificate cannot be used, or a key cannot be exported. */
export class ExchangeError<C extends ErrorCode = ErrorCode> extends QkmError<C> {}
