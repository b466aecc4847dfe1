/**
 * The file of keys one site sends another (`keys export`, `keys import`): JSON, each key's
 * 32 bytes wrapped with the recipient's encryption certificate (RSA-OAEP, SHA-256), its
 * name and what is known of its tape in clear, and the sender's certificate.
 *
 *     { format, version,
 *       header: { id, createdAt, sender: { serial, certificate }, recipient: { name, fingerprint },
 *                 wrapping, signing, entries: [sha256 of each entry] },
 *       signature,                       RSA-PSS (SHA-256) by the sender over the header
 *       entries: [{ name, library, barcode, keyIdentifier, generatedAt, writtenAt, wrappedKey }] }
 *
 * The header is signed and lists every entry's digest, so any change to the header (the
 * recipient, the sender, an entry added or taken out) refuses the whole file, while a
 * damaged entry is only that entry: the manual's partial import keeps the good keys and
 * lists the rest. Signature and digests are over JSON.stringify of the values as parsed,
 * which gives back the bytes the sender signed for any file not edited since.
 */
import { X509Certificate, constants, createHash, createPrivateKey, privateDecrypt, publicEncrypt, sign, verify } from 'node:crypto';
import type { ExportableKey } from '../engine/index.js';
import { checkExchangeCertificate } from '../pki/index.js';
import { ExchangeError } from './errors.js';

export const KEY_FILE_FORMAT = 'qkm-wrapped-keys';
export const KEY_FILE_VERSION = 1;
const WRAPPING = 'RSA-OAEP-SHA256';
const SIGNING = 'RSA-PSS-SHA256';
const KEY_BYTES = 32;
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };

/**
 * What travels in clear beside a wrapped key, enough for the partner to know which tape it
 * opens: the key's name, the library that wrote the tape at the sending site, its barcode
 * and key identifier (LIBRARY-LTO) when known, and when the key was generated and written.
 */
export type KeyMetadata = Omit<ExportableKey, 'material'>;

export type KeyToSend = ExportableKey;

interface Entry extends KeyMetadata {
  wrappedKey: string;
}

interface Header {
  id: string;
  createdAt: string;
  sender: { serial: string; certificate: string };
  recipient: { name: string; fingerprint: string };
  wrapping: string;
  signing: string;
  entries: string[];
}

interface KeyFile {
  format: string;
  version: number;
  header: Header;
  signature: string;
  entries: Entry[];
}

export interface Signer {
  serial: string;
  certPem: string;
  keyPem: string;
}

const digest = (entry: unknown): string => createHash('sha256').update(JSON.stringify(entry)).digest('hex');

/** The file's text: every key wrapped for `recipient`, the header signed by `sender`. */
export function buildKeyFile(o: { keys: readonly KeyToSend[]; sender: Signer; recipient: { name: string; cert: X509Certificate }; now: Date; id: string }): string {
  const entries: Entry[] = o.keys.map((k) => ({
    name: k.name, library: k.library, barcode: k.barcode, keyIdentifier: k.keyIdentifier, generatedAt: k.generatedAt, writtenAt: k.writtenAt,
    wrappedKey: publicEncrypt({ key: o.recipient.cert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, k.material).toString('base64'),
  }));
  const header: Header = {
    id: o.id,
    createdAt: o.now.toISOString(),
    sender: { serial: o.sender.serial, certificate: o.sender.certPem },
    recipient: { name: o.recipient.name, fingerprint: o.recipient.cert.fingerprint256 },
    wrapping: WRAPPING,
    signing: SIGNING,
    entries: entries.map(digest),
  };
  const file: KeyFile = { format: KEY_FILE_FORMAT, version: KEY_FILE_VERSION, header, signature: signHeader(header, o.sender.keyPem), entries };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** The sender's signature over a header (exported for tests that forge files as a sender could). */
export function signHeader(header: unknown, keyPem: string): string {
  return sign('sha256', Buffer.from(JSON.stringify(header)), { key: createPrivateKey(keyPem), ...PSS }).toString('base64');
}

/** Why an entry was not imported, as the Import Warning Log says it. */
export type RefusalReason = 'corrupt entry' | 'wrong recipient' | 'duplicate name';

export type EntryOutcome =
  | { ok: true; index: number; key: KeyToSend }
  | { ok: false; index: number; name: string | null; reason: RefusalReason; detail: string };

export interface OpenedKeyFile {
  id: string;
  createdAt: Date;
  senderSerial: string;
  senderCert: X509Certificate;
  outcomes: EntryOutcome[];
}

/**
 * Reads a key file made for us (`own`): a file that is not one, whose header was changed,
 * whose sender's certificate is unusable or that was made for another certificate is
 * refused whole, in one sentence. Otherwise each entry is unwrapped, or says why not.
 */
export function openKeyFile(text: string, o: { file: string; own: { fingerprint: string; keyPem: string } }): OpenedKeyFile {
  const f = parse(text, o.file);
  // The signature first: a changed header is tampering, whatever else it now claims.
  if (!signedBy(f, f.header.sender.certificate)) {
    throw new ExchangeError('EXCHANGE_FILE_TAMPERED', `${o.file} was changed after it was made: its signature does not match; ask the partner for a new copy.`, { params: { file: o.file } });
  }
  const senderCert = checkSender(f.header, o.file);
  if (f.header.recipient.fingerprint !== o.own.fingerprint) {
    const params = { file: o.file, fingerprint: f.header.recipient.fingerprint, ours: o.own.fingerprint };
    throw new ExchangeError('EXCHANGE_WRONG_RECIPIENT', `${o.file} was made for the encryption certificate ${params.fingerprint}, not for this server's (${params.ours}); send the partner this server's certificate and ask for a new file.`, { params });
  }
  const key = createPrivateKey(o.own.keyPem);
  const listed = f.header.entries.map((d, index): EntryOutcome => openEntry(f.entries[index], d, index, key));
  const unlisted = f.entries.slice(listed.length).map((e, i): EntryOutcome => ({
    ok: false, index: listed.length + i, name: nameOf(e), reason: 'corrupt entry', detail: 'it is not listed in the signed header (added after the file was made)',
  }));
  return { id: f.header.id, createdAt: new Date(f.header.createdAt), senderSerial: f.header.sender.serial, senderCert, outcomes: [...listed, ...unlisted] };
}

function openEntry(e: unknown, expected: string, index: number, key: ReturnType<typeof createPrivateKey>): EntryOutcome {
  const refuse = (reason: RefusalReason, detail: string): EntryOutcome => ({ ok: false, index, name: nameOf(e), reason, detail });
  if (e === undefined) return refuse('corrupt entry', 'it is missing from the file');
  if (digest(e) !== expected) return refuse('corrupt entry', 'it was changed after the file was made');
  if (!isEntry(e)) return refuse('corrupt entry', 'it lacks a field every entry has');
  let material: Buffer;
  try {
    material = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(e.wrappedKey, 'base64'));
  } catch {
    return refuse('wrong recipient', "its key was not wrapped with this server's encryption certificate");
  }
  if (material.length !== KEY_BYTES) return refuse('corrupt entry', `its key has ${material.length} bytes, not ${KEY_BYTES}`);
  const { wrappedKey: _, ...meta } = e;
  return { ok: true, index, key: { ...meta, material } };
}

function nameOf(e: unknown): string | null {
  const name = (e as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name.slice(0, 80) : null;
}

const isString = (x: unknown): x is string => typeof x === 'string';
const isOptionalString = (x: unknown): boolean => x === null || typeof x === 'string';

function isEntry(e: unknown): e is Entry {
  const x = e as Record<string, unknown> | null;
  return typeof x === 'object' && x !== null && isString(x.name) && isString(x.library) && isString(x.wrappedKey)
    && isOptionalString(x.barcode) && isOptionalString(x.keyIdentifier) && isOptionalString(x.generatedAt) && isOptionalString(x.writtenAt);
}

/** Whether the header carries a valid signature by the key of the certificate it includes. */
function signedBy(f: KeyFile, certPem: string): boolean {
  try {
    const key = new X509Certificate(certPem).publicKey;
    return verify('sha256', Buffer.from(JSON.stringify(f.header)), { key, ...PSS }, Buffer.from(f.signature, 'base64'));
  } catch {
    // Not a certificate, or a key that cannot make such a signature: not the sender's file as made.
    return false;
  }
}

function notKeys(file: string): ExchangeError {
  return new ExchangeError('EXCHANGE_FILE_NOT_KEYS', `${file} is not a file of keys exported by a key manager, or is damaged beyond reading; ask the partner for a new copy.`, { params: { file } });
}

function parse(text: string, file: string): KeyFile {
  let f: Partial<KeyFile> | null;
  try {
    f = JSON.parse(text) as Partial<KeyFile> | null;
  } catch {
    f = null;
  }
  const h = f?.header as Partial<Header> | undefined;
  const shaped = f !== null && typeof f === 'object' && f.format === KEY_FILE_FORMAT && h !== undefined && typeof h === 'object' && h !== null
    && isString(h.id) && isString(h.createdAt) && isString(h.sender?.serial) && isString(h.sender?.certificate)
    && isString(h.recipient?.fingerprint) && Array.isArray(h.entries) && h.entries.every(isString)
    && isString(f.signature) && Array.isArray(f.entries);
  if (!shaped) {
    throw notKeys(file);
  }
  if (f!.version !== KEY_FILE_VERSION) {
    throw new ExchangeError('EXCHANGE_FILE_NOT_KEYS', `${file} is a key file of version ${String(f!.version)}, which this server does not read (it reads version ${KEY_FILE_VERSION}); ask the partner for a file this version reads.`, { params: { file } });
  }
  return f as KeyFile;
}

/** The sender's certificate, usable as a partner's must be, at the time the file says it was made. */
function checkSender(h: Header, file: string): X509Certificate {
  const made = new Date(h.createdAt);
  if (Number.isNaN(made.getTime())) {
    throw notKeys(file);
  }
  try {
    return checkExchangeCertificate(h.sender.certificate, `${file} (the sender's)`, made);
  } catch (e) {
    const reason = (e as Error).message;
    throw new ExchangeError('EXCHANGE_FILE_SENDER', `${reason.replace(/; [^;]*$/, '')}, so the file's signature cannot be trusted; ask the partner for a new file.`, { cause: e, params: { file, reason } });
  }
}
