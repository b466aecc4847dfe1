/**
 * Errors are values with stable codes. `message` is the one sentence a user sees:
 * what went wrong and what to do. Detail for developers goes in `cause` and the log.
 */
export class QkmError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A setting in a config file, flag or environment variable is not acceptable. */
export class ConfigError extends QkmError {}

/** The keystore cannot be opened, is damaged, or refuses an operation. */
export class KeystoreError extends QkmError {}

/** A request the engine understands but must refuse (no keys, needs sync, ...). */
export class KeyEngineError extends QkmError {}

/** A backup file is unreadable, tampered, mismatched or from elsewhere. */
export class BackupError extends QkmError {}

/** An ISO 9660 image (a CD or an image file) cannot be read, is damaged, or lacks a path. */
export class IsoError extends QkmError {}

export function isQkmError(e: unknown): e is QkmError {
  return e instanceof QkmError;
}

/** An update bundle (CD or ISO) is unsigned, tampered, truncated, or not for this box. */
export class UpdateError extends QkmError {}
