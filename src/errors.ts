/**
 * Errors are values with stable codes and typed parameters. `message` is a neutral
 * sentence (what went wrong and what to do, naming no command line): the log and any
 * front end with no words of its own show it. A front end (the terminal, a KMIP Result
 * Message, later the menu console and the web page) may have its own words for a code,
 * written from `params` (see ErrorWords). Detail for developers goes in `cause` and the log.
 */

import type { DiskTrouble } from './util/disk-errors.js';

/** No values beyond the sentence itself. */
type NoParams = Record<never, never>;

/** Set on the refusals of a tape's key: the ticket that tells the administrator. */
export interface TicketRef {
  ticket?: number;
}

/** A refusal's words, followed by the ticket it opened or kept, as every front end says it. */
export function withTicket(p: TicketRef, sentence: string): string {
  return p.ticket === undefined ? sentence : `${sentence} (ticket ${p.ticket})`;
}

/**
 * Every code qkm raises, and the values its words may use. Adding an error is one line
 * here; raising a code not listed, or without the parameters it declares, does not compile.
 */
export interface ErrorCatalogue {
  // --- key engine: a tape's key refused (src/engine/key-engine.ts, objects.ts) ---
  /** `tape`: refused a key for this tape (not, say, a synchronisation). */
  NO_KEY_SET: { library: string; tape?: string } & TicketRef;
  NEEDS_SYNC: { library: string } & TicketRef;
  KEYS_EXHAUSTED: { library: string; keyClass: string } & TicketRef;
  KEYS_PENDING_BACKUP: { library: string } & TicketRef;
  BAD_LIBRARY: { library: string };
  BAD_TAPE: { tape: string };
  BAD_DRIVE: { drive: string };
  BAD_CLASS: NoParams;
  KEY_NOT_FOUND: { key: string };
  KEY_DESTROYED: NoParams;
  KEYS_USED: NoParams;
  PEER_KEY: NoParams;
  ATTRIBUTE_STORE_DAMAGED: { type: string };
  // --- key engine: managed objects (src/engine/object-errors.ts) ---
  OBJECT_NOT_FOUND: NoParams;
  OBJECT_DESTROYED: NoParams;
  WRONG_STATE: NoParams;
  ATTRIBUTE_READ_ONLY: NoParams;
  ATTRIBUTE_NOT_FOUND: NoParams;
  ATTRIBUTE_SINGLE_VALUED: NoParams;
  ATTRIBUTE_UNSUPPORTED: NoParams;
  ATTRIBUTE_INVALID: NoParams;
  ATTRIBUTE_LIMIT: NoParams;
  MATERIAL_INVALID: NoParams;
  // --- keystore (src/engine/keystore.ts, master-key.ts, kept-keystores.ts) ---
  KEYSTORE_MISSING: NoParams;
  KEYSTORE_UNREADABLE: { file: string; reason: string };
  KEYSTORE_DISK: DiskTrouble;
  KEYSTORE_TOO_NEW: NoParams;
  KEYSTORE_LIVE: NoParams;
  KEYSTORE_NOT_KEPT: { name: string; dataDir: string };
  KEY_RECORD_DAMAGED: { key: string };
  MASTER_KEY_MISSING: { file: string };
  MASTER_KEY_DAMAGED: NoParams;
  MASTER_KEY_EXPOSED: NoParams;
  MASTER_KEY_MISMATCH: NoParams;
  // --- backup and restore (src/engine/backup*.ts, restore.ts, src/admin/backup-key.ts) ---
  BACKUP_DAMAGED: NoParams;
  BACKUP_DISK: DiskTrouble;
  BACKUP_EXISTS: NoParams;
  BACKUP_NOT_FOLDER: NoParams;
  BACKUP_NO_ACCESS: NoParams;
  BACKUP_NO_FOLDER: NoParams;
  BACKUP_MISMATCH: NoParams;
  BACKUP_NOT_FOUND: NoParams;
  BACKUP_OLDER: NoParams;
  BACKUP_OTHER_SERVER: NoParams;
  BACKUP_TAMPERED: NoParams;
  BACKUP_TOO_NEW: NoParams;
  /** `notQkm`: readable, but not a file a qkm backup writes. */
  BACKUP_UNREADABLE: { file: string; notQkm?: true };
  BACKUP_UNUSABLE: NoParams;
  BACKUP_WRONG_PART: NoParams;
  BACKUP_SEALED: NoParams;
  BACKUP_KEY_MISSING: NoParams;
  BACKUP_KEY_DAMAGED: { file: string };
  BACKUP_KEY_EXISTS: NoParams;
  BACKUP_KEY_HOW: NoParams;
  /** `wrongPassphrase`: a passphrase was given, and it is not the key's. */
  BACKUP_KEY_WRONG: { keyId: string; wrongPassphrase?: true };
  BAD_SHARE_SPEC: NoParams;
  SHARES_TOO_FEW: NoParams;
  SHARE_MALFORMED: NoParams;
  SHARE_MISTYPED: NoParams;
  SHARE_OTHER_KEY: NoParams;
  SHARE_REPEATED: NoParams;
  SHARES_NOT_SHOWN: NoParams;
  PASSPHRASE_SHORT: NoParams;
  PASSPHRASE_MISMATCH: NoParams;
  SECRET_CANCELLED: NoParams;
  SECRET_MISSING: NoParams;
  // --- certificates (src/pki) ---
  CERT_BAD_SERIAL: { serial: string };
  CERT_BAD_VALIDITY: NoParams;
  CERT_BAD_LIBRARY_NAME: NoParams;
  CERT_CA_KEY: NoParams;
  CERT_NO_CA: NoParams;
  CERT_CA_DAMAGED: NoParams;
  CERT_READ: NoParams;
  CERT_NONE_FOR_LIBRARY: { library: string };
  CERT_OUT_IS_FOLDER: NoParams;
  CERT_OUT_NOT_FILE: NoParams;
  CERT_OUT_NOT_WRITABLE: NoParams;
  CERT_OUT_NO_FOLDER: NoParams;
  CERT_OUT_UNREADABLE: NoParams;
  CERT_OUT_WRITE: NoParams;
  CERT_REGISTER_READ: NoParams;
  /** With the disk trouble, when that is what stopped it. */
  CERT_REGISTER_WRITE: DiskTrouble | NoParams;
  CERT_REVOKE_TARGET: NoParams;
  CERT_REVOKE_WRITE: NoParams;
  // --- KMIP requests (src/kmip/messages, src/kmip/operations) ---
  KMIP_INVALID_MESSAGE: NoParams;
  KMIP_MESSAGE_TOO_LARGE: NoParams;
  KMIP_UNSUPPORTED_VERSION: NoParams;
  KMIP_BATCH_TOO_LARGE: NoParams;
  KMIP_RESPONSE_TOO_LARGE: NoParams;
  KMIP_UNSUPPORTED_ATTRIBUTE: NoParams;
  KMIP_INVALID_ATTRIBUTE: NoParams;
  INVALID_FIELD: NoParams;
  NO_IDENTIFIER: NoParams;
  OBJECT_TYPE: NoParams;
  KEY_FORMAT: NoParams;
  FEATURE: NoParams;
  NOT_SUPPORTED: NoParams;
  USAGE_MASK: NoParams;
  // --- configuration and the data directory (src/config, src/cli) ---
  CONFIG_BAD_VALUE: NoParams;
  CONFIG_KMIP_LIMITS: NoParams;
  CONFIG_SYNTAX: NoParams;
  CONFIG_UNAVAILABLE: NoParams;
  CONFIG_UNKNOWN_ENV: NoParams;
  CONFIG_UNKNOWN_KEY: NoParams;
  CONFIG_UNREADABLE: NoParams;
  DATA_DIR_FORBIDDEN: NoParams;
  DATA_DIR_MISSING: NoParams;
  DATA_DIR_NOT_DIR: NoParams;
  DATA_DIR_READ_ONLY: NoParams;
  DATA_DIR_UNUSABLE: NoParams;
  DATA_DIR_BUSY: NoParams;
  DATA_DIR_PATH_TOO_LONG: NoParams;
  NOT_A_DATA_DIR: NoParams;
  SERIAL_UNKNOWN: NoParams;
  LOCK_FILE_UNUSABLE: NoParams;
  ALREADY_RUNNING: NoParams;
  QKMD_RUNNING: NoParams;
  // --- qkmd's services and control socket (src/cli, src/control) ---
  KMIP_LISTEN: NoParams;
  CONTROL_SOCKET_BLOCKED: NoParams;
  CONTROL_SOCKET_FAILED: NoParams;
  CONTROL_SOCKET_IN_USE: NoParams;
  QKMD_BAD_ANSWER: NoParams;
  QKMD_FORBIDDEN: NoParams;
  QKMD_NOT_RUNNING: NoParams;
  QKMD_NO_ANSWER: NoParams;
  QKMD_UNREACHABLE: NoParams;
  /** qkmd refused a control request; `code` is qkmd's own (a driver's code, UNKNOWN_REQUEST, ...). */
  QKMD_REFUSED: { code: string };
  // --- the command line ---
  USAGE: NoParams;
  BAD_BAY: NoParams;
}

export type ErrorCode = keyof ErrorCatalogue;

type ErrorOptions<C extends ErrorCode> = { cause?: unknown } & (NoParams extends ErrorCatalogue[C]
  ? { params?: ErrorCatalogue[C] }
  : { params: ErrorCatalogue[C] });

/** The options may be left out only when the code's parameters may be. */
type OptionsArg<C extends ErrorCode> = NoParams extends ErrorCatalogue[C] ? [options?: ErrorOptions<C>] : [options: ErrorOptions<C>];

export class QkmError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly params: ErrorCatalogue[C];
  constructor(code: C, message: string, ...[options]: OptionsArg<C>) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.params = (options?.params ?? {}) as ErrorCatalogue[C];
    this.name = new.target.name;
  }
}

/** A setting in a config file, flag or environment variable is not acceptable. */
export class ConfigError<C extends ErrorCode = ErrorCode> extends QkmError<C> {}

/** The keystore cannot be opened, is damaged, or refuses an operation. */
export class KeystoreError<C extends ErrorCode = ErrorCode> extends QkmError<C> {}

/** A request the engine understands but must refuse (no keys, needs sync, ...). */
export class KeyEngineError<C extends ErrorCode = ErrorCode> extends QkmError<C> {}

/** A backup file is unreadable, tampered, mismatched or from elsewhere. */
export class BackupError<C extends ErrorCode = ErrorCode> extends QkmError<C> {}

export function isQkmError(e: unknown): e is QkmError {
  return e instanceof QkmError;
}

/**
 * A front end's own words for some codes, checked against the catalogue: each gets the
 * error's parameters and its neutral message (to fall back on for a case it has no
 * better words for). Codes left out are shown with the neutral message.
 */
export type ErrorWords = { readonly [C in ErrorCode]?: (params: ErrorCatalogue[C], neutral: string) => string };

/** The sentence a front end shows for `e`: its own words for the code, or the neutral message. */
export function sentenceOf(e: QkmError, words: ErrorWords): string {
  const say = words[e.code] as ((params: unknown, neutral: string) => string) | undefined;
  return say ? say(e.params, e.message) : e.message;
}
