/**
 * Sharing encrypted tapes with another site (manual chapter 6, "Sharing Encrypted Tapes
 * Offsite"): our encryption certificate out, a partner's in, a file of keys wrapped for a
 * partner out, a partner's file of keys in. The command line and the menu console both
 * call these, so a menu item and its subcommand never differ.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  KEY_NAME_PATTERN,
  LIBRARY_NAME_PATTERN,
  ManagedObjects,
  type NewAttribute,
  TAPE_PATTERN,
  type ExportSelection,
  FieldTag,
  type KeyEngine,
  keysForExport,
} from '../engine/index.js';
import { ExchangeError } from '../exchange/errors.js';
import { type KeyToSend, type RefusalReason, buildKeyFile, openKeyFile } from '../exchange/key-file.js';
import { type Partner, importPartner, listPartners, partnerCertificate, partnerPem } from '../exchange/partners.js';
import { appendImportWarnings, importWarningLogOf } from '../exchange/warning-log.js';
import type { Logger } from '../logs/logger.js';
import { pairEncryptionCredentials } from '../pair/encryption-share.js';
import type { PeerAddress } from '../pair/link-client.js';
import type { PairSide } from '../pair/pairing.js';
import { offerTicketsOf } from '../pair/partner-offers.js';
import { type PartnerOffer, offerPartnerToPeers, partnerFromPeers } from '../pair/partner-share.js';
import { type EncryptionCredentials, assertWritableTarget, ensureEncryptionCredentials, readEncryptionCredentials, tlsDirOf, tlsPaths } from '../pki/index.js';
import { CertificateError } from '../pki/errors.js';
import { writeFileDurable } from '../util/durable-file.js';
import { describeFileError } from '../util/file-errors.js';
import { type OpenEngine, withEngine } from './engine-session.js';

/** What every exchange operation needs: the data directory, this server's serial, the time, and the audit log. */
export interface ExchangeScope {
  dataDir: string;
  serial: string;
  now: Date;
  log: Logger;
  /**
   * This server's encryption credentials as its front end finds them: on a server of a
   * pair, the pair's, fetched from the peer if need be (src/pair/encryption-share.ts); made
   * here when missing and `create`. Without it, this server's own.
   */
  encryption?: (create: boolean) => Promise<EncryptionCredentials | undefined>;
  /** On a server of a pair: partners' certificates are the pair's, offered to the peers and asked of them. */
  pairPartners?: {
    offer: (p: { name: string; certPem: string; replace: boolean }) => Promise<PartnerOffer>;
    ask: (name: string) => Promise<boolean>;
  };
}

/** What a server of a pair adds to its exchange scope: the pair's encryption certificate and partners. */
export function pairExchange(side: PairSide, addresses: readonly PeerAddress[]): Pick<ExchangeScope, 'encryption' | 'pairPartners'> {
  return {
    encryption: (create) => pairEncryptionCredentials(side, addresses, { create }),
    pairPartners: {
      offer: (p) => offerPartnerToPeers(side, addresses, p),
      ask: (name) => partnerFromPeers(side, addresses, name),
    },
  };
}

const pathsOf = (s: ExchangeScope) => tlsPaths(tlsDirOf(s.dataDir));

async function ownCredentials(s: ExchangeScope, create: true): Promise<EncryptionCredentials>;
async function ownCredentials(s: ExchangeScope, create: false): Promise<EncryptionCredentials | undefined>;
async function ownCredentials(s: ExchangeScope, create: boolean): Promise<EncryptionCredentials | undefined> {
  if (s.encryption) {
    const found = await s.encryption(create);
    if (found || !create) return found;
  }
  return create ? ensureEncryptionCredentials(pathsOf(s), { serial: s.serial, now: s.now }) : readEncryptionCredentials(pathsOf(s));
}

function writeOut(file: string, data: string, mode: number): void {
  try {
    writeFileDurable(file, data, mode);
  } catch (e) {
    throw new CertificateError('CERT_OUT_WRITE', `Cannot write ${file} (${describeFileError(e)}); nothing was written, give --out another place.`, { cause: e, params: { file, reason: describeFileError(e) } });
  }
}

export interface ExportedCertificate {
  certPem: string;
  fingerprint: string;
  validTo: Date;
  outFile?: string;
}

/** `cert export`: this server's encryption certificate (made on first need), written to `outFile` or returned. */
export async function exportEncryptionCertificate(s: ExchangeScope, o: { outFile?: string } = {}): Promise<ExportedCertificate> {
  if (o.outFile !== undefined) assertWritableTarget(o.outFile, 'the certificate', 'qkm-encryption.pem');
  const own = await ownCredentials(s, true);
  if (o.outFile !== undefined) writeOut(o.outFile, own.certPem, 0o644);
  s.log.info({ fingerprint: own.fingerprint, outFile: o.outFile ?? null }, 'encryption certificate exported');
  return { certPem: own.certPem, fingerprint: own.fingerprint, validTo: new Date(own.cert.validTo), ...(o.outFile !== undefined && { outFile: o.outFile }) };
}

/**
 * `cert import FILE --name PARTNER`: a partner's encryption certificate, checked, stored
 * under its name; on a server of a pair, offered to the peers too (`peers`: where it went),
 * and a ticket stays open while a peer that missed it waits for qkmd to send it.
 */
export async function importPartnerCertificate(open: OpenEngine, s: ExchangeScope, o: { file: string; name: string; replace?: boolean }): Promise<Partner & { replaced: boolean; peers?: PartnerOffer }> {
  const own = await readEncryptionCredentials(pathsOf(s));
  const p = importPartner(s.dataDir, { ...o, now: s.now, ownFingerprint: own?.fingerprint });
  s.log.info({ partner: p.name, fingerprint: p.fingerprint, replaced: p.replaced }, 'partner encryption certificate imported');
  if (!s.pairPartners) return p;
  const peers = await s.pairPartners.offer({ name: p.name, certPem: partnerPem(s.dataDir, p.name) ?? '', replace: o.replace === true });
  s.log.info({ partner: p.name, stored: peers.stored, missed: peers.missed, pending: peers.pending ?? null }, 'partner encryption certificate offered to the peers');
  // A server without peers has no offer to tell of.
  if (peers.stored.length + peers.missed.length === 0) return { ...p, peers };
  try {
    await withEngine(open, (engine) => offerTicketsOf(engine.tickets).pending(p.name, peers.pending));
  } catch (e) {
    // The certificate is stored and the offer kept: qkmd opens the ticket when it next starts.
    s.log.warn({ partner: p.name, err: e }, "the partner offer's ticket could not be brought up to date");
  }
  return { ...p, peers };
}

/** The partner's certificate: stored here, or, on a server of a pair, asked of the peers. */
async function recipientCertificate(s: ExchangeScope, name: string) {
  try {
    return partnerCertificate(s.dataDir, name, s.now);
  } catch (e) {
    if (!(e instanceof ExchangeError && e.code === 'EXCHANGE_PARTNER_UNKNOWN') || !(await s.pairPartners?.ask(name))) throw e;
    s.log.info({ partner: name }, "partner encryption certificate taken from the peer, which imported it");
    return partnerCertificate(s.dataDir, name, s.now);
  }
}

/** `cert partners`: the partners' certificates, and whether each can still be used now. */
export function partnerCertificates(s: Pick<ExchangeScope, 'dataDir' | 'now'>): (Partner & { expired: boolean })[] {
  return listPartners(s.dataDir).map((p) => ({ ...p, expired: p.validTo.getTime() <= s.now.getTime() }));
}

export interface KeysExported {
  outFile: string;
  partner: string;
  fingerprint: string;
  keys: { name: string; barcode: string | null }[];
}

/** `keys export`: the selected keys, wrapped for the partner and signed by us, in one new file. */
export async function exportKeys(open: OpenEngine, s: ExchangeScope, o: { partner: string; selection: ExportSelection; outFile: string }): Promise<KeysExported> {
  const recipient = await recipientCertificate(s, o.partner);
  assertWritableTarget(o.outFile, 'the key file', 'keys.json');
  const own = await ownCredentials(s, true);
  const keys = await withEngine(open, (engine) => keysForExport(engine, o.selection));
  try {
    const text = buildKeyFile({
      keys, sender: { serial: s.serial, certPem: own.certPem, keyPem: own.keyPem },
      recipient: { name: o.partner, cert: recipient }, now: s.now, id: randomBytes(8).toString('hex'),
    });
    writeOut(o.outFile, text, 0o600);
  } finally {
    for (const k of keys) k.material.fill(0);
  }
  const listed = keys.map((k) => ({ name: k.name, barcode: k.barcode }));
  s.log.info({ partner: o.partner, fingerprint: recipient.fingerprint256, outFile: o.outFile, keys: listed }, 'keys exported');
  return { outFile: o.outFile, partner: o.partner, fingerprint: recipient.fingerprint256, keys: listed };
}

export interface Refused {
  index: number;
  name: string | null;
  reason: RefusalReason;
  detail: string;
}

export interface KeysImported {
  library: string;
  imported: string[];
  /** Keys of the file this keystore already held, the same material for the same library (an earlier import, here or on the peer). */
  alreadyHeld: string[];
  refused: Refused[];
  senderSerial: string;
  senderFingerprint: string;
  /** The stored partner whose certificate signed the file, if any. */
  partner: string | null;
  warningLog: string;
  ticket: number | null;
}

/**
 * `keys import FILE --library NAME`: every good key of the file, stored for the library that
 * will read those tapes, in one transaction (journalled for the peer with it). The others are
 * listed in the Import Warning Log with their reason, before the commit, and a ticket points
 * there; when none is good, nothing changes and the one sentence points there. A key already
 * held, the same for the same library, is no refusal: importing a file again (or on the
 * other server of the pair, which holds it by replication) is done, not an error.
 */
export async function importKeys(open: OpenEngine, s: ExchangeScope, o: { file: string; library: string }): Promise<KeysImported> {
  if (!LIBRARY_NAME_PATTERN.test(o.library)) {
    throw new ExchangeError('BAD_LIBRARY', `Library name "${o.library.slice(0, 80)}" is not valid; use 1 to 64 letters, digits, dots, dashes or underscores.`, { params: { library: o.library } });
  }
  const own = await ownCredentials(s, false);
  if (!own) {
    throw new ExchangeError('EXCHANGE_NO_CERT', "This server has no encryption certificate yet, so no key file can have been made for it; export this server's encryption certificate, send it to the partner and ask for a file made for it.");
  }
  const opened = openKeyFile(readKeyFile(o.file), { file: o.file, own });
  const partner = listPartners(s.dataDir).find((p) => p.fingerprint === opened.senderCert.fingerprint256)?.name ?? null;
  const refused: Refused[] = [];
  const good: KeyToSend[] = [];
  const indexOf = new Map<string, number>();
  for (const out of opened.outcomes) {
    const wrong = out.ok ? fieldProblem(out.key) : out.detail;
    if (out.ok && (wrong !== undefined || indexOf.has(out.key.name))) out.key.material.fill(0);
    if (!out.ok) refused.push({ index: out.index, name: out.name, reason: out.reason, detail: out.detail });
    else if (wrong !== undefined) refused.push({ index: out.index, name: out.key.name.slice(0, 80), reason: 'corrupt entry', detail: wrong });
    else if (indexOf.has(out.key.name)) refused.push({ index: out.index, name: out.key.name, reason: 'duplicate name', detail: 'an earlier entry of the file has the same name' });
    else {
      indexOf.set(out.key.name, out.index);
      good.push(out.key);
    }
  }
  const log = importWarningLogOf(s.dataDir);
  const at = s.now.toISOString();
  let warned = false;
  const alreadyHeld: string[] = [];
  try {
    const result = await withEngine(open, (engine) => {
      let ticket: number | null = null;
      const r = new ManagedObjects(engine).importKeys(o.library, good.map((k) => ({ name: k.name, material: k.material, attributes: importedAttributes(k, opened.senderSerial, s.now) })), (r) => {
        const materialOf = new Map(good.map((k) => [k.name, k.material]));
        const clashes = r.duplicates.flatMap((name): Refused[] => {
          const clash = heldDifferently(engine, name, o.library, materialOf.get(name)!);
          if (clash === null) alreadyHeld.push(name);
          return clash === null ? [] : [{ index: indexOf.get(name) ?? -1, name, reason: 'duplicate name', detail: clash }];
        });
        refused.splice(0, refused.length, ...[...refused, ...clashes].sort((a, b) => a.index - b.index));
        if (refused.length > 0) {
          appendImportWarnings(log, refused.map((x) => warningLine(at, o.file, opened.senderSerial, o.library, x)));
          warned = true;
        }
        if (r.stored.length === 0 && alreadyHeld.length === 0) {
          throw new ExchangeError('EXCHANGE_NOTHING_IMPORTED', `None of the ${refused.length} keys in ${o.file} could be imported; the Import Warning Log ${log} says why for each.`, { params: { file: o.file, count: refused.length, log } });
        }
        if (refused.length > 0) {
          const params = { file: o.file, imported: r.stored.length, refused: refused.length, log, at };
          engine.tickets.raise('key-import-warning', params);
          ticket = engine.tickets.list({ openOnly: true }).find((t) => t.condition === `key-import-warning:${at}`)?.id ?? null;
        }
      });
      return { stored: r.stored, ticket };
    });
    const done: KeysImported = {
      library: o.library, imported: result.stored, alreadyHeld, refused, senderSerial: opened.senderSerial,
      senderFingerprint: opened.senderCert.fingerprint256, partner, warningLog: log, ticket: result.ticket,
    };
    s.log.info({ file: o.file, library: o.library, imported: done.imported, refused, sender: done.senderSerial, fingerprint: done.senderFingerprint }, 'keys imported');
    return done;
  } catch (e) {
    // The log's lines were for an import that did not happen: say so after them.
    if (warned && !(e instanceof ExchangeError && e.code === 'EXCHANGE_NOTHING_IMPORTED')) {
      try {
        appendImportWarnings(log, [`${at} import of ${o.file} failed (${(e as Error).message}); none of its keys were imported`]);
      } catch {
        // The keystore's own failure is what the administrator must hear.
      }
    }
    s.log.warn({ file: o.file, library: o.library, refused, err: e }, 'key import refused');
    throw e;
  } finally {
    for (const k of good) k.material.fill(0);
  }
}

/** Why a key of the file clashes with the one held under its name; null when it is that very key, for that library. */
function heldDifferently(engine: KeyEngine, name: string, library: string, material: Buffer): string | null {
  const held = engine.lookup(name);
  try {
    if (held.material.length !== material.length || !timingSafeEqual(held.material, material)) return 'this keystore already holds a different key of that name';
    return held.library === library ? null : `this keystore already holds that key, for library ${held.library}`;
  } finally {
    held.material.fill(0);
  }
}

/**
 * `keys import-warnings`: the Import Warning Log's lines, oldest first; reading it is what
 * the tickets that point to it ask for, so they are closed (they stay as history).
 */
export async function importWarnings(open: OpenEngine, s: Pick<ExchangeScope, 'dataDir' | 'log'>): Promise<{ file: string; lines: string[]; ticketsClosed: number }> {
  const file = importWarningLogOf(s.dataDir);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const ticketsClosed = await withEngine(open, (engine) => engine.tickets.list({ openOnly: true })
    .filter((t) => t.kind === 'key-import-warning')
    .filter((t) => engine.tickets.close(t.condition)).length);
  if (ticketsClosed > 0) s.log.info({ ticketsClosed }, 'the Import Warning Log was read; its tickets are closed');
  return { file, lines: text.split('\n').filter((l) => l !== ''), ticketsClosed };
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExchangeError('EXCHANGE_FILE_UNREADABLE', `Cannot read ${file} (${describeFileError(e)}); give the path of the key file the partner sent.`, { cause: e, params: { file, reason: describeFileError(e) } });
  }
}

/** What in an entry's clear fields this keystore cannot keep (the sender signed it, but it is still not a key's). */
function fieldProblem(k: KeyToSend): string | undefined {
  if (!KEY_NAME_PATTERN.test(k.name)) return 'its name is not a key name';
  if (k.barcode !== null && !TAPE_PATTERN.test(k.barcode)) return 'its barcode is not 1 to 32 printable characters';
  if (k.keyIdentifier !== null && !/^[0-9A-Fa-f]{1,128}$/.test(k.keyIdentifier)) return 'its key identifier is not hexadecimal';
  if (!LIBRARY_NAME_PATTERN.test(k.library)) return "its library's name is not a library name";
  return undefined;
}

/** The imported key's object: Active (it is for reading tapes), with its tape as the sending site knew it. */
function importedAttributes(k: KeyToSend, senderSerial: string, now: Date): NewAttribute[] {
  const text = (name: string, value: string): NewAttribute => ({ name, value: { type: 'TextString', value } });
  const attrs: NewAttribute[] = [
    { name: 'Activation Date', value: { type: 'DateTime', value: BigInt(Math.floor(now.getTime() / 1000)) } },
    text('x-Imported-From', `${senderSerial.slice(0, 64)} library ${k.library}`),
  ];
  if (k.barcode !== null) attrs.push(text('x-Barcode', k.barcode));
  if (k.keyIdentifier !== null) {
    attrs.push({ name: 'Application Specific Information', value: { type: 'Structure', value: [
      { tag: FieldTag.ApplicationNamespace, type: 'TextString', value: 'LIBRARY-LTO' },
      { tag: FieldTag.ApplicationData, type: 'TextString', value: k.keyIdentifier },
    ] } });
  }
  if (k.writtenAt !== null) attrs.push(text('x-Written-At', k.writtenAt.slice(0, 40)));
  return attrs;
}

function warningLine(at: string, file: string, sender: string, library: string, r: Refused): string {
  const key = r.name === null ? `entry ${r.index + 1}` : `entry ${r.index + 1}, key ${r.name}`;
  return `${at} import of ${file} from server ${sender.slice(0, 64)} for library ${library}: ${key} not imported: ${r.reason} (${r.detail})`;
}
