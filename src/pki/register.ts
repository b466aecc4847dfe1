import { type ClientRole, roleOfUnit } from './client-role.js';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from '../util/durable-file.js';
import { CLOCK_SKEW_MS, assertLibraryName } from './authority.js';
import { CertificateError } from './errors.js';
import { diskTroubleOf, diskTroubleWords } from '../util/disk-errors.js';
import { describeFileError } from '../util/file-errors.js';
import { CERT_MODE, tlsPaths } from './tls-dir.js';

/**
 * The register of library certificates lives in the TLS folder, not in the keystore: a
 * backup holds the keystore, and restoring an older one must not bring back a certificate
 * revoked since. The TLS folder (with the CA) is not in any backup, so a restore never
 * touches it; an appliance rebuilt from a backup makes a new CA, which no old certificate
 * chains to, so it needs no old revocations either.
 *
 * issued/<library>-<serial>.pem   a copy of each certificate (never its key)
 * revoked/<SERIAL>.json           one file per revoked serial, so two revocations made at
 *                                 once never overwrite each other, and qkmd sees the set
 *                                 with one directory read.
 */

export type CertificateState = 'valid' | 'revoked' | 'expired';

export interface CertificateRecord {
  /** Undefined for a serial revoked without being in the register. */
  library: string | undefined;
  /** What the certificate lets its holder do; undefined when known only by its revocation. */
  role: ClientRole | undefined;
  /** As OpenSSL and Node print it: upper-case hex. */
  serial: string;
  /** When qkmcmds issued it (the certificate itself starts CLOCK_SKEW_MS earlier). */
  issued: Date | undefined;
  expires: Date | undefined;
  /** False for a certificate known only by its revocation (issued before the register kept copies). */
  registered: boolean;
  revokedAt: Date | undefined;
}

interface RevocationFile {
  serial: string;
  library?: string;
  revokedAt: string;
}

const REVOKED_FILE = /^([0-9A-Fa-f]{1,40})\.json$/;

/**
 * A serial as the administrator may type it (any case, with or without colons) reduced to
 * one form: upper-case hex without leading zeros. Undefined when it is not a serial at all.
 */
export function normalizeSerial(text: string): string | undefined {
  const hex = text.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{1,40}$/.test(hex)) return undefined;
  return hex.replace(/^0+(?=.)/, '');
}

export function stateOf(rec: CertificateRecord, now: Date): CertificateState {
  if (rec.revokedAt) return 'revoked';
  if (rec.expires && rec.expires.getTime() <= now.getTime()) return 'expired';
  return 'valid';
}

function subjectField(cert: X509Certificate, field: string): string | undefined {
  return cert.subject.split('\n').find((l) => l.startsWith(`${field}=`))?.slice(field.length + 1);
}

function commonNameOf(cert: X509Certificate): string | undefined {
  return subjectField(cert, 'CN');
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => !name.startsWith('.'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CertificateError('CERT_REGISTER_READ', `Cannot read the certificate register ${dir}; check the appliance's data disk.`, { cause: err, params: { folder: dir } });
  }
}

/** Keeps a copy of a library certificate; returns its path, so a failed bundle can take it back. */
export function recordIssued(tlsDir: string, library: string, cert: X509Certificate): string {
  const file = join(tlsPaths(tlsDir).issued, `${library}-${cert.serialNumber.toLowerCase()}.pem`);
  try {
    writeFileDurable(file, cert.toString(), CERT_MODE);
  } catch (err) {
    const where = tlsPaths(tlsDir).issued;
    // Disk trouble is said as every command says it; nothing was issued, so "try again" holds.
    const disk = diskTroubleOf(err, where);
    throw new CertificateError('CERT_REGISTER_WRITE', disk ? diskTroubleWords(disk) : `Cannot record the new certificate in ${where}: ${describeFileError(err)}.`, { cause: err, params: disk ?? {} });
  }
  return file;
}

export function forgetIssued(file: string): void {
  rmSync(file, { force: true });
}

/** The serials revoked so far (normalised): the names in revoked/, nothing else read. */
export function revokedSerials(revokedDir: string): Set<string> {
  const serials = new Set<string>();
  for (const name of listDir(revokedDir)) {
    const serial = REVOKED_FILE.exec(name)?.[1];
    // Normalised again: a file an administrator named by hand may keep leading zeros.
    if (serial) serials.add(normalizeSerial(serial)!);
  }
  return serials;
}

function readRevocations(tlsDir: string): Map<string, RevocationFile> {
  const dir = tlsPaths(tlsDir).revoked;
  const out = new Map<string, RevocationFile>();
  for (const serial of revokedSerials(dir)) {
    let record: RevocationFile = { serial, revokedAt: '' };
    try {
      record = { ...record, ...(JSON.parse(readFileSync(join(dir, `${serial}.json`), 'utf8')) as Partial<RevocationFile>) };
    } catch {
      // The file's name is the revocation; its content only adds the date and library.
    }
    out.set(serial, record);
  }
  return out;
}

function dateOr(text: string | undefined): Date | undefined {
  const d = text ? new Date(text) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

/** Every library certificate the register knows, by library then issue date. */
export function listCertificates(tlsDir: string): CertificateRecord[] {
  const issuedDir = tlsPaths(tlsDir).issued;
  const revocations = readRevocations(tlsDir);
  const records: CertificateRecord[] = [];
  const seen = new Set<string>();
  for (const name of listDir(issuedDir)) {
    if (!name.endsWith('.pem')) continue;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(readFileSync(join(issuedDir, name)));
    } catch {
      continue; // not a certificate: nothing a library could present
    }
    const key = normalizeSerial(cert.serialNumber)!;
    if (seen.has(key)) continue;
    seen.add(key);
    records.push({
      library: commonNameOf(cert),
      role: roleOfUnit(subjectField(cert, 'OU')),
      // One form for every row (a certificate's own may carry a leading zero), as revoke accepts it.
      serial: key,
      issued: new Date(new Date(cert.validFrom).getTime() + CLOCK_SKEW_MS),
      expires: new Date(cert.validTo),
      registered: true,
      revokedAt: revocations.has(key) ? (dateOr(revocations.get(key)!.revokedAt) ?? new Date(0)) : undefined,
    });
  }
  for (const [key, r] of revocations) {
    if (seen.has(key)) continue;
    records.push({ library: r.library, role: undefined, serial: key, issued: undefined, expires: undefined, registered: false, revokedAt: dateOr(r.revokedAt) ?? new Date(0) });
  }
  const time = (d: Date | undefined) => d?.getTime() ?? 0;
  return records.sort((a, b) => (a.library ?? '').localeCompare(b.library ?? '') || time(a.issued) - time(b.issued) || a.serial.localeCompare(b.serial));
}

/** The certificates of `library` that still let it in. */
export function validCertificatesOf(tlsDir: string, library: string, now: Date): CertificateRecord[] {
  return listCertificates(tlsDir).filter((r) => r.library === library && stateOf(r, now) === 'valid');
}

export type RevokeTarget = { serial: string } | { library: string };

export interface RevokeResult {
  /** Newly revoked by this call. */
  revoked: CertificateRecord[];
  /** Already revoked before it. */
  already: CertificateRecord[];
}

function writeRevocation(tlsDir: string, rec: CertificateRecord, now: Date): CertificateRecord {
  const serial = normalizeSerial(rec.serial)!;
  const body: RevocationFile = { serial: rec.serial, ...(rec.library !== undefined ? { library: rec.library } : {}), revokedAt: now.toISOString() };
  const dir = tlsPaths(tlsDir).revoked;
  try {
    writeFileDurable(join(dir, `${serial}.json`), `${JSON.stringify(body)}\n`, CERT_MODE);
  } catch (err) {
    throw new CertificateError('CERT_REVOKE_WRITE', `Cannot record the revocation in ${dir}: ${describeFileError(err)}; nothing was revoked.`, { cause: err, params: { folder: dir, reason: describeFileError(err) } });
  }
  return { ...rec, revokedAt: now };
}

/**
 * Revoke one certificate by serial, or every certificate of a library. A serial the
 * register does not know is revoked all the same: certificates issued before the register
 * kept copies must be revocable too.
 */
export function revokeCertificates(tlsDir: string, target: RevokeTarget, now: Date): RevokeResult {
  const all = listCertificates(tlsDir);
  let chosen: CertificateRecord[];
  if ('serial' in target) {
    const serial = normalizeSerial(target.serial);
    if (!serial) {
      throw new CertificateError('CERT_BAD_SERIAL', `"${target.serial}" is not a certificate serial: give the hexadecimal serial that the list of certificates shows.`, { params: { serial: target.serial } });
    }
    chosen = all.filter((r) => normalizeSerial(r.serial) === serial);
    if (chosen.length === 0) chosen = [{ library: undefined, role: undefined, serial, issued: undefined, expires: undefined, registered: false, revokedAt: undefined }];
  } else {
    assertLibraryName(target.library);
    chosen = all.filter((r) => r.library === target.library);
    if (chosen.length === 0) {
      throw new CertificateError(
        'CERT_NONE_FOR_LIBRARY',
        `The register holds no certificate of library ${target.library} (the list of certificates shows those it holds); revoke an older one by its serial.`,
        { params: { library: target.library } },
      );
    }
  }
  const already = chosen.filter((r) => r.revokedAt);
  const revoked = chosen.filter((r) => !r.revokedAt).map((r) => writeRevocation(tlsDir, r, now));
  return { revoked, already };
}
