/**
 * Drivers report failures as values with a stable `code`, like the rest of qkm,
 * but they must not import from `src/` (drivers sit below everything else), so
 * they carry their own small error type. `message` is one sentence a person can act
 * on; `detail` holds what a developer needs (command line, stderr, file path).
 */
export type DriverErrorCode =
  | 'RUNNER_DISABLED'
  | 'COMMAND_NOT_FOUND'
  | 'COMMAND_TIMEOUT'
  | 'COMMAND_FAILED'
  | 'NO_FIXTURE'
  | 'PATH_OUTSIDE_ROOT'
  | 'FILE_UNREADABLE'
  | 'PARSE_FAILED'
  | 'UNKNOWN_LED'
  | 'UNSUPPORTED_STATE'
  | 'ARRAY_NOT_FOUND'
  | 'DISK_NOT_BLANK'
  | 'BAY_EMPTY'
  | 'BAY_OCCUPIED'
  | 'UNKNOWN_BAY'
  | 'CONFIG_INVALID'
  | 'DRIVER_UNAVAILABLE'
  | 'OUTPUT_TOO_LARGE'
  | 'COMMAND_CANCELLED'
  | 'AUDIO_UNREADABLE'
  | 'AUDIO_TOO_LONG'
  | 'DEVICE_SILENT'
  | 'DEVICE_GONE'
  | 'PROTOCOL_VERSION';

export class DriverError extends Error {
  readonly code: DriverErrorCode;
  readonly detail: Readonly<Record<string, unknown>>;
  constructor(
    code: DriverErrorCode,
    message: string,
    detail: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.detail = detail;
    this.name = 'DriverError';
  }
}

export function isDriverError(e: unknown, code?: DriverErrorCode): e is DriverError {
  return e instanceof DriverError && (code === undefined || e.code === code);
}
