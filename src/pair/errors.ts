import { QkmError } from '../errors.js';

/** Pairing or the pair link refused or failed; the message says what to do. */
export class PairError extends QkmError {}
