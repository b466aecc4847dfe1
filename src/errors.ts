/**
 * Errors are values with stable codes and typed parameters. `message` is a neutral
 * sentence (what went wrong and what to do, naming no command line): the log and any
 * front end with no words of its own show it. A front end (the terminal, a KMIP Result
 * Message, later the menu console and the web page) may have its own words for a code,
 * written from `params` (see ErrorWords). Detail for developers goes in `cause` and the log.
 */

import type { DiskTrouble } from './util/disk-errors.js';

/** How many keys a keystore holds and has handed out. */
interface KeystoreCounts {
  keys: number;
  handedOut: number;
}

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
 * NoParams: a fixed sentence, a sentence of the terminal's own (raised in src/cli or on
 * the control socket between qkmd and qkmcmds), or a KMIP request the client got wrong,
 * whose detail is its own bytes.
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
  BAD_CLASS: { keyClass: string };
  KEY_NOT_FOUND: { key: string };
  KEY_DESTROYED: { key: string };
  KEYS_USED: { library: string; used: number };
  PEER_KEY: { key: string; origin: string };
  ATTRIBUTE_STORE_DAMAGED: { type: string };
  // --- key engine: managed objects (src/engine/object-errors.ts) ---
  OBJECT_NOT_FOUND: { uid: string; library: string };
  OBJECT_DESTROYED: { uid: string };
  WRONG_STATE: { uid: string; state: number };
  ATTRIBUTE_READ_ONLY: { attribute: string };
  ATTRIBUTE_NOT_FOUND: { attribute: string; uid: string };
  ATTRIBUTE_SINGLE_VALUED: { attribute: string; uid?: string };
  ATTRIBUTE_UNSUPPORTED: { attribute: string };
  ATTRIBUTE_INVALID: { attribute: string; uid?: string };
  ATTRIBUTE_LIMIT: { max: number; attribute?: string; uid?: string };
  MATERIAL_INVALID: { bytes: number };
  // --- keystore (src/engine/keystore.ts, master-key.ts, kept-keystores.ts) ---
  KEYSTORE_MISSING: { dataDir: string } | { file: string };
  KEYSTORE_UNREADABLE: { file: string; reason: string };
  KEYSTORE_DISK: DiskTrouble;
  KEYSTORE_TOO_NEW: { file: string; version: number; understood: number };
  KEYSTORE_LIVE: { name: string };
  KEYSTORE_NOT_KEPT: { name: string; dataDir: string };
  KEYSTORE_LENT: NoParams;
  KEY_RECORD_DAMAGED: { key: string };
  MASTER_KEY_MISSING: { file: string };
  MASTER_KEY_DAMAGED: { file: string; bytes: number };
  MASTER_KEY_EXPOSED: { file: string; mode: string };
  MASTER_KEY_MISMATCH: { dir: string };
  // --- backup and restore (src/engine/backup*.ts, restore.ts, src/admin/backup-key.ts) ---
  BACKUP_DAMAGED: { problems: number; subject: string; problem: string };
  BACKUP_DISK: DiskTrouble;
  BACKUP_EXISTS: { file: string };
  BACKUP_NOT_FOLDER: { folder: string };
  BACKUP_NO_ACCESS: { folder: string };
  BACKUP_NO_FOLDER: { folder: string };
  BACKUP_MISMATCH: { appFile: string; dataFile: string };
  BACKUP_NOT_FOUND: { file: string; part: 'app' | 'data' };
  /** `asked`: the administrator was asked and said no (so nothing was changed). */
  BACKUP_OLDER: { live: KeystoreCounts; backup: KeystoreCounts; backupCreatedAt: string; asked: boolean };
  BACKUP_OTHER_SERVER: { backupSerial: string; serial: string };
  BACKUP_TAMPERED: { file: string; member?: string };
  BACKUP_TOO_NEW: { file: string; formatVersion: number; schemaVersion: number };
  /** `notQkm`: readable, but not a file a qkm backup writes. */
  BACKUP_UNREADABLE: { file: string; notQkm?: true };
  BACKUP_UNUSABLE: { reason: string };
  BACKUP_WRONG_PART: { file: string; part: string };
  BACKUP_SEALED: NoParams;
  BACKUP_KEY_MISSING: NoParams;
  BACKUP_KEY_DAMAGED: { file: string };
  BACKUP_KEY_EXISTS: { existing: string };
  BACKUP_KEY_HOW: NoParams;
  /** `wrongPassphrase`: a passphrase was given, and it is not the key's. */
  BACKUP_KEY_WRONG: { keyId: string; wrongPassphrase?: true };
  BAD_SHARE_SPEC: { spec: string; max: number };
  SHARES_TOO_FEW: { keyId: string; threshold: number; count: number; given: number };
  SHARE_MALFORMED: { position: number };
  SHARE_MISTYPED: { position: number };
  SHARE_OTHER_KEY: { position: number; shareKeyId: string; keyId: string };
  SHARE_REPEATED: { position: number; sameAs: number; threshold: number };
  SHARES_NOT_SHOWN: NoParams;
  PASSPHRASE_SHORT: { min: number };
  PASSPHRASE_MISMATCH: NoParams;
  SECRET_CANCELLED: NoParams;
  SECRET_MISSING: NoParams;
  // --- certificates (src/pki) ---
  CERT_BAD_SERIAL: { serial: string };
  CERT_BAD_VALIDITY: { days: number };
  CERT_BAD_KEY_TYPE: { keyType: string };
  CERT_BAD_LIBRARY_NAME: { library: string };
  CERT_BAD_ROLE: { role: string };
  CERT_CA_KEY: { file: string };
  CERT_NO_CA: { tlsDir: string };
  CERT_CA_DAMAGED: { file: string };
  CERT_READ: { file: string };
  CERT_NONE_FOR_LIBRARY: { library: string };
  CERT_OUT_IS_FOLDER: { file: string };
  CERT_OUT_NOT_FILE: { file: string };
  CERT_OUT_NOT_WRITABLE: { folder: string; reason: string };
  CERT_OUT_NO_FOLDER: { folder: string };
  CERT_OUT_UNREADABLE: { file: string; reason: string };
  CERT_OUT_WRITE: { file: string; reason: string };
  CERT_REGISTER_READ: { folder: string };
  /** With the disk trouble, when that is what stopped it. */
  CERT_REGISTER_WRITE: DiskTrouble | NoParams;
  CERT_REVOKE_TARGET: NoParams;
  CERT_REVOKE_WRITE: { folder: string; reason: string };
  // --- sharing tapes with another site: encryption certificates and wrapped keys (src/pki, src/exchange) ---
  EXCHANGE_CERT_UNREADABLE: { file: string; reason: string };
  EXCHANGE_CERT_NOT_CERT: { file: string };
  EXCHANGE_CERT_EXPIRED: { file: string; expired: string };
  EXCHANGE_CERT_NOT_YET_VALID: { file: string; validFrom: string };
  EXCHANGE_CERT_NOT_RSA: { file: string; keyType: string };
  EXCHANGE_CERT_TOO_SHORT: { file: string; bits: number; min: number };
  EXCHANGE_CERT_OWN: { file: string };
  EXCHANGE_CERT_DAMAGED: { file: string };
  EXCHANGE_NO_CERT: NoParams;
  EXCHANGE_PARTNER_NAME: { name: string };
  EXCHANGE_PARTNER_EXISTS: { name: string };
  EXCHANGE_PARTNER_UNKNOWN: { name: string };
  EXCHANGE_NO_SELECTION: NoParams;
  EXCHANGE_KEY_UNKNOWN: { key: string };
  EXCHANGE_KEY_UNUSED: { key: string };
  EXCHANGE_KEY_DESTROYED: { key: string };
  EXCHANGE_TAPE_UNKNOWN: { tape: string };
  EXCHANGE_FILE_UNREADABLE: { file: string; reason: string };
  EXCHANGE_FILE_NOT_KEYS: { file: string };
  EXCHANGE_FILE_TAMPERED: { file: string };
  EXCHANGE_FILE_SENDER: { file: string; reason: string };
  EXCHANGE_WRONG_RECIPIENT: { file: string; fingerprint: string; ours: string };
  EXCHANGE_NOTHING_IMPORTED: { file: string; count: number; log: string };
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
  OBJECT_TYPE: { objectType: number };
  KEY_FORMAT: { format: number };
  FEATURE: NoParams;
  NOT_SUPPORTED: { operation: string };
  USAGE_MASK: { uid: string; wanted: number; allowed: number };
  // --- configuration and the data directory (src/config, src/cli) ---
  CONFIG_BAD_VALUE: { where: string; setting?: string };
  CONFIG_KMIP_LIMITS: NoParams;
  CONFIG_SYNTAX: { file: string; line?: number };
  CONFIG_UNAVAILABLE: { setting: string; where: string };
  CONFIG_UNKNOWN_ENV: { name: string };
  CONFIG_UNKNOWN_KEY: { file: string; section: string; key?: string };
  CONFIG_UNREADABLE: { file: string; reason: string };
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
  // --- installing the appliance profile (src/install, scripts/install-appliance) ---
  INSTALL_BAD_PATH: NoParams;
  INSTALL_NO_ROOT: NoParams;
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
  // --- the simulated tape library (src/library, qkm-library) ---
  LIBRARY_CONFIG: { file: string; setting?: string };
  LIBRARY_BUNDLE: { file: string; reason?: string };
  LIBRARY_STATE: { folder: string; reason: string };
  /** `server`: "the primary key server HOST:PORT". */
  SERVER_UNREACHABLE: { server: string; reason: string };
  SERVER_REFUSED: { server: string; reason: string };
  NO_SERVER: { asked: string; reasons: string[] };
  PARTITION_UNKNOWN: { partition: string };
  PARTITION_NOT_ENCRYPTED: { partition: string; drive: string };
  LIBRARY_DRIVES: { drive?: string; available?: number; value?: string };
  TAPE_UNKNOWN: { tape: string };
  TAPE_UNREADABLE: { tape: string; key: string; server?: string };
  LIBRARY_GENERATION_FAILED: { partition: string };
  BAD_BARCODE: { tape: string };
  // --- the audit log (src/logs/audit.ts) ---
  AUDIT_WRITE: { file: string; reason: string };
  AUDIT_BUSY: { file: string };
  LOG_CAPTURE_FOLDER: { folder: string };
  // --- the menu console and system settings (src/admin/console-*.ts, system-settings.ts) ---
  CONSOLE_BUSY: { pid?: number };
  CONSOLE_LOGIN_FAILED: { attempts: number };
  CONSOLE_PASSWORD_SHORT: { min: number };
  CONSOLE_PASSWORD_MISMATCH: NoParams;
  CONSOLE_PASSWORD_WRONG: NoParams;
  CONSOLE_ENDED: NoParams;
  EULA_DECLINED: NoParams;
  SYSTEM_BAD_ADDRESS: { what: string; value: string };
  SYSTEM_BAD_NETMASK: { netmask: string };
  SYSTEM_PORT1_ADDRESS: { address: string; port1: string };
  SYSTEM_GATEWAY_OUTSIDE: { gateway: string; address: string; netmask: string };
  SYSTEM_BAD_TIME_ZONE: { timeZone: string };
  SYSTEM_BAD_HOSTNAME: { hostname: string };
  SYSTEM_BAD_DATE_TIME: { value: string };
  SYSTEM_APPLY_FAILED: { setting: string; reason: string };
  // --- the status page's viewer tokens (src/web/viewer-tokens.ts) ---
  STATUS_TOKEN_NAME: { name: string };
  STATUS_TOKEN_EXISTS: { name: string };
  STATUS_TOKEN_UNKNOWN: { token: string };
  // --- the status page (src/web) ---
  WEB_LISTEN: { address: string; reason: string };
  // --- diagnosis from a log capture (src/admin/diagnose.ts) ---
  /** The capture is neither a folder nor a .tgz that can be read. */
  CAPTURE_UNREADABLE: { path: string; reason: string };
  /** The capture holds no RAID or disk reading that can be used; `reasons` says, file by file, why. */
  CAPTURE_EMPTY: { path: string; reasons: string };
  // --- the command line ---
  USAGE: NoParams;
  BAD_BAY: NoParams;
  BAD_USB_DEVICE: NoParams;
  // --- the server pair: journal, peer copies, pairing and the pair link (src/engine, src/pair); the values are in the sentence ---
  CONFIG_PAIR_ROLE: NoParams;
  JOURNAL_ACK_INVALID: NoParams;
  KEYS_PENDING_PEER: NoParams;
  PAIR_BAD_ADDRESS: NoParams;
  PAIR_BAD_FINGERPRINT: NoParams;
  PAIR_BAD_REPLY: NoParams;
  PAIR_BAD_REQUEST: NoParams;
  PAIR_CLOSED: NoParams;
  PAIR_LISTEN: NoParams;
  PAIR_NOT_JOURNALLED: NoParams;
  PAIR_NO_CERTIFICATE: NoParams;
  PAIR_NO_PEER: NoParams;
  PAIR_NO_REQUEST: NoParams;
  PAIR_REQUEST: NoParams;
  PAIR_SELF: NoParams;
  PAIR_SYNC_UNREACHABLE: NoParams;
  PAIR_TIMEOUT: NoParams;
  PAIR_UNREACHABLE: NoParams;
  PAIR_WRONG_PEER: NoParams;
  PEER_DID_NOT_STORE: { library: string; seconds: number };
  PEER_ENTRY_INVALID: NoParams;
  PEER_KEY_MISSING: NoParams;
  PEER_SET_INVALID: NoParams;
  PEER_UNKNOWN: NoParams;
  PEER_WENT_BACK: NoParams;
  // --- software updates: the CD's ISO 9660 reader and the signed bundle (src/update); the values are in the sentence ---
  ISO_DAMAGED: NoParams;
  ISO_NOT_ISO9660: NoParams;
  ISO_TRUNCATED: NoParams;
  ISO_UNREADABLE: NoParams;
  ISO_UNSUPPORTED: NoParams;
  ROLLBACK_NO_PREVIOUS: NoParams;
  ROLLBACK_WRONG_CD: NoParams;
  UPDATE_BAD_SIGNATURE: NoParams;
  UPDATE_BAD_VERSION: NoParams;
  UPDATE_BOOT_STATE_UNREADABLE: NoParams;
  UPDATE_BUNDLE_NAME: NoParams;
  UPDATE_BUSY: NoParams;
  UPDATE_NO_CD: NoParams;
  /** `drive` is not one this box has (`drives`: those it has, by name), or not a drive name at all. */
  UPDATE_DRIVE_UNKNOWN: { drive: string; drives: string[] };
  /** More than one drive holds a disc and none was chosen. */
  UPDATE_DRIVE_CHOICE: { drives: string[] };
  /** The USB CD/DVD drive was pulled out while its disc was being read. */
  UPDATE_DRIVE_UNPLUGGED: { drive: string };
  UPDATE_NO_WAY_BACK: NoParams;
  UPDATE_FILE_ALTERED: NoParams;
  UPDATE_FILE_MISSING: NoParams;
  UPDATE_FILE_SIZE: NoParams;
  UPDATE_FORMAT_UNKNOWN: NoParams;
  UPDATE_FROM_TOO_OLD: NoParams;
  UPDATE_KEY_NOT_ED25519: NoParams;
  UPDATE_MANIFEST_INVALID: NoParams;
  UPDATE_NAME_MISMATCH: NoParams;
  UPDATE_NOT_A_BUNDLE: NoParams;
  UPDATE_NOT_NEWER: NoParams;
  UPDATE_NO_KEY: NoParams;
  UPDATE_NO_MANIFEST: NoParams;
  UPDATE_NO_PAYLOAD: NoParams;
  UPDATE_PAYLOAD_NOT_QKM: NoParams;
  UPDATE_PAYLOAD_UNREADABLE: NoParams;
  UPDATE_SCHEMA_UNREADABLE: NoParams;
  UPDATE_SEVERAL_BUNDLES: NoParams;
  UPDATE_TRIAL_RUNNING: NoParams;
  UPDATE_UNLISTED_FILE: NoParams;
  UPDATE_UNREADABLE: NoParams;
  UPDATE_UNSIGNED: NoParams;
  ISO_FILE_TOO_LARGE: NoParams;
  ISO_NOT_A_DIRECTORY: NoParams;
  ISO_NOT_A_FILE: NoParams;
  ISO_NOT_FOUND: NoParams;
  // --- beeps (src/cli/beeps-commands.ts, src/hardware/beep-codes.ts) ---
  NO_BEEP: { file: string };
  BEEP_CODES_UNKNOWN: { table: string };
  /** A driver's own refusal passed up to a person; `driverCode` is the driver's code (drivers/errors.ts). */
  DRIVER_ERROR: { driverCode: string };
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

/** An ISO 9660 image (a CD or an image file) cannot be read, is damaged, or lacks a path. */
export class IsoError extends QkmError {}

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

/** An update bundle (CD or ISO) is unsigned, tampered, truncated, or not for this box. */
export class UpdateError extends QkmError {}
