import { dirname } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { writeFileDurable } from '../util/durable-file.js';
import { issuePairCertificate } from './authority.js';
import { loadCa, readIfPresent } from './ca-store.js';
import { CertificateError } from './errors.js';
import { isSignedBy, isValidAt, keyMatchesCertificate, parseCertificate } from './inspect.js';
import { CERT_MODE, KEY_MODE, type TlsPaths } from './tls-dir.js';

export interface PairCredentials {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the certificate, upper-case hex with colons: what the administrator compares. */
  fingerprint: string;
}

/** This appliance's CA certificate (public), which its peer's libraries are told to trust too. */
export async function caCertificatePem(paths: TlsPaths): Promise<string> {
  const pem = await readIfPresent(paths.caCert);
  if (pem === undefined) throw new CertificateError('CERT_NO_CA', `There is no appliance CA in ${paths.caCert} yet; start qkmd once.`, { params: { tlsDir: dirname(paths.caCert) } });
  return pem;
}

/** True when `caPem` is a CA certificate that issued `certPem` (a peer's pair certificate). */
export function issuedBy(certPem: string, caPem: string): boolean {
  const cert = parseCertificate(certPem);
  const ca = parseCertificate(caPem);
  return cert !== undefined && ca?.ca === true && isSignedBy(cert, ca);
}

/** SHA-256 of a certificate as Node and OpenSSL print it (AB:CD:...). */
export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** The pair certificate in the TLS folder, or undefined when there is none (or it is unusable). */
export async function readPairCredentials(paths: TlsPaths, now: Date): Promise<PairCredentials | undefined> {
  const certPem = await readIfPresent(paths.pairCert);
  const keyPem = await readIfPresent(paths.pairKey);
  if (certPem === undefined || keyPem === undefined) return undefined;
  const cert = parseCertificate(certPem);
  if (!cert || !keyMatchesCertificate(keyPem, cert) || !isValidAt(cert, now)) return undefined;
  return { certPem, keyPem, fingerprint: certificateFingerprint(certPem) };
}

/**
 * This server's pair certificate, issued by the appliance CA on first need and kept. It
 * is never renewed by itself: its fingerprint is what the peer pinned, so a new one means
 * pairing again.
 */
export async function ensurePairCredentials(paths: TlsPaths, opts: { serial: string; now: Date; keyBits?: number }): Promise<PairCredentials> {
  const existing = await readPairCredentials(paths, opts.now);
  if (existing) return existing;
  const ca = await loadCa(paths);
  if (!ca) throw new CertificateError('CERT_NO_CA', `There is no appliance CA in ${paths.caCert} yet to issue the pair certificate; start qkmd once.`, { params: { tlsDir: dirname(paths.caCert) } });
  const issued = issuePairCertificate(ca, { now: opts.now, serial: opts.serial, keyBits: opts.keyBits });
  // Key before certificate: a crash in between leaves a mismatch, which the next call replaces.
  writeFileDurable(paths.pairKey, issued.keyPem, KEY_MODE);
  writeFileDurable(paths.pairCert, issued.certPem, CERT_MODE);
  return { ...issued, fingerprint: certificateFingerprint(issued.certPem) };
}
