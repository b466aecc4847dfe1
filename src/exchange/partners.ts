/**
 * The partners' encryption certificates: one PEM file per partner in
 * `<data_dir>/exchange/partners/<NAME>.pem`, named by the administrator at import. Kept
 * outside the keystore, as the TLS folder is: a restore neither forgets a partner nor brings
 * back one that was replaced.
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkExchangeCertificate } from '../pki/index.js';
import { LIBRARY_NAME_PATTERN } from '../engine/index.js';
import { writeFileDurable } from '../util/durable-file.js';
import { describeFileError } from '../util/file-errors.js';
import { quoteClientValue } from '../util/bounded-text.js';
import { ExchangeError } from './errors.js';

export interface Partner {
  name: string;
  fingerprint: string;
  subject: string;
  validTo: Date;
}

export const partnersDirOf = (dataDir: string): string => path.join(dataDir, 'exchange', 'partners');

const fileOf = (dataDir: string, name: string): string => path.join(partnersDirOf(dataDir), `${name}.pem`);

function assertPartnerName(name: string): void {
  // The same rule as a library's name: it becomes a file name.
  if (!LIBRARY_NAME_PATTERN.test(name)) {
    throw new ExchangeError('EXCHANGE_PARTNER_NAME', `The partner name ${quoteClientValue(name)} cannot be used: use 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.`, { params: { name } });
  }
}

export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExchangeError('EXCHANGE_CERT_UNREADABLE', `Cannot read ${file} (${describeFileError(e)}); give the path of the certificate file.`, { cause: e, params: { file, reason: describeFileError(e) } });
  }
}

function describe(name: string, cert: X509Certificate): Partner {
  return { name, fingerprint: cert.fingerprint256, subject: cert.subject.replace(/\n/g, ', '), validTo: new Date(cert.validTo) };
}

/**
 * Stores a partner's certificate under `name` once it passes the checks (RSA, long enough,
 * valid now); a name already taken is refused unless `replace`. `ownFingerprint`: our own
 * certificate, which makes no sense as a partner's.
 */
export function importPartner(dataDir: string, o: { file: string; name: string; now: Date; ownFingerprint?: string; replace?: boolean }): Partner & { replaced: boolean } {
  assertPartnerName(o.name);
  return storePartner(dataDir, { ...o, pem: readTextFile(o.file), source: o.file });
}

/**
 * `importPartner` with the certificate's text in hand (`source` names where it came from):
 * also how the peer of a pair stores the partner its administrator imported there. The
 * same certificate again under its name changes nothing.
 */
export function storePartner(dataDir: string, o: { pem: string; source: string; name: string; now: Date; ownFingerprint?: string; replace?: boolean }): Partner & { replaced: boolean } {
  assertPartnerName(o.name);
  const cert = checkExchangeCertificate(o.pem, o.source, o.now);
  if (cert.fingerprint256 === o.ownFingerprint) {
    throw new ExchangeError('EXCHANGE_CERT_OWN', `${o.source} is this server's own encryption certificate; import the certificate the partner site exported.`, { params: { file: o.source } });
  }
  const existing = listPartners(dataDir).find((p) => p.name === o.name);
  if (existing?.fingerprint === cert.fingerprint256) return { ...existing, replaced: false };
  if (existing && !o.replace) {
    throw new ExchangeError('EXCHANGE_PARTNER_EXISTS', `A partner named ${o.name} is already stored (fingerprint ${existing.fingerprint}); choose another name, or replace it.`, { params: { name: o.name } });
  }
  writeFileDurable(fileOf(dataDir, o.name), cert.toString(), 0o644);
  return { ...describe(o.name, cert), replaced: existing !== undefined };
}

/** Every stored partner, by name. */
export function listPartners(dataDir: string): Partner[] {
  let names: string[];
  try {
    names = readdirSync(partnersDirOf(dataDir)).filter((f) => f.endsWith('.pem')).map((f) => f.slice(0, -4)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.flatMap((name) => {
    try {
      return [describe(name, new X509Certificate(readFileSync(fileOf(dataDir, name))))];
    } catch {
      // A file someone damaged by hand is not a partner; partnerCertificate names it if asked for.
      return [];
    }
  });
}

/** The stored text of partner `name`'s certificate, or undefined when none is stored under that name. */
export function partnerPem(dataDir: string, name: string): string | undefined {
  assertPartnerName(name);
  try {
    return readFileSync(fileOf(dataDir, name), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return undefined;
  }
}

/** The partner's certificate, checked again now (it may have expired since it was imported). */
export function partnerCertificate(dataDir: string, name: string, now: Date): X509Certificate {
  const pem = partnerPem(dataDir, name);
  if (pem === undefined) throw new ExchangeError('EXCHANGE_PARTNER_UNKNOWN', `No partner named ${name} is stored; import its encryption certificate first.`, { params: { name } });
  return checkExchangeCertificate(pem, `partner ${name}'s certificate`, now);
}
