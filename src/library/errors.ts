import { QkmError } from '../errors.js';
import { describeFileError } from '../util/file-errors.js';

export type LibraryErrorCode =
  | 'LIBRARY_CONFIG'
  | 'LIBRARY_BUNDLE'
  | 'LIBRARY_STATE'
  | 'SERVER_UNREACHABLE'
  | 'SERVER_REFUSED'
  | 'NO_SERVER'
  | 'PARTITION_UNKNOWN'
  | 'PARTITION_NOT_ENCRYPTED'
  | 'LIBRARY_DRIVES'
  | 'TAPE_UNKNOWN'
  | 'TAPE_UNREADABLE'
  | 'LIBRARY_GENERATION_FAILED'
  | 'BAD_BARCODE';

/** What the simulated tape library refuses or cannot do, in one sentence, with its values. */
export class LibraryError<C extends LibraryErrorCode = LibraryErrorCode> extends QkmError<C> {}

/** Why a file the library reads (its configuration, its bundle) could not be read, in a user's words. */
export function unreadable(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT' ? 'there is no such file' : describeFileError(e);
}
