/**
 * The encryption certificate: what a partner site wraps the keys it sends us with (RSA-OAEP),
 * and what signs the key files we send (RSA-PSS). Its private key stays in the TLS folder of
 * the data directory, owner-only, beside the CA's; a restore never touches that folder, so a
 * restored server still opens the files partners made for it.
 *
 * A partner's certificate is checked here before it is stored or trusted: an RSA key of
 * MIN_EXCHANGE_RSA_BITS or more, inside its validity.
 */
import { X509Certificate } from 'node:crypto';
import { writeFileDurable } from '../util/durable-file.js';
import { issueEncryptionCertificate } from './authority.js';
import { readIfPresent } from './ca-store.js';
import { CertificateError } from './errors.js';
import { isValidAt, keyMatchesCertificate, parseCertificate } from './inspect.js';
import { CERT_MODE, KEY_MODE, type TlsPaths } from './tls-dir.js';

/** The wrapping key must outlast the tapes it protects: NIST's size for use beyond 2030. */
export const MIN_EXCHANGE_RSA_BITS = 3072;

export interface EncryptionCredentials {
  certPem: string;
  keyPem: string;
  cert: X509Certificate;
  /** SHA-256, upper-case hex with colons: what the partner's administrator compares. */
  fingerprint: string;
}

/** This server's encryption certificate and key, or undefined when none was made yet. */
export async function readEncryptionCredentials(paths: TlsPaths): Promise<EncryptionCredentials | undefined> {
  const certPem = await readIfPresent(paths.encryptionCert);
  if (certPem === undefined) return undefined;
  const keyPem = await readIfPresent(paths.encryptionKey);
  const cert = parseCertificate(certPem);
  // Never replaced by itself: partners hold this certificate, and files made for it open only with its key.
  if (!cert || keyPem === undefined || !keyMatchesCertificate(keyPem, cert)) {
    throw new CertificateError('EXCHANGE_CERT_DAMAGED', `The encryption certificate ${paths.encryptionCert} or its key is damaged or missing; restore the TLS folder from a copy.`, { params: { file: paths.encryptionCert } });
  }
  return { certPem, keyPem, cert, fingerprint: cert.fingerprint256 };
}

/** The encryption certificate, made on first need (a fresh RSA key) and kept. */
export async function ensureEncryptionCredentials(paths: TlsPaths, o: { serial: string; now: Date; keyBits?: number }): Promise<EncryptionCredentials> {
  const existing = await readEncryptionCredentials(paths);
  if (existing) return existing;
  const issued = issueEncryptionCertificate({ now: o.now, serial: o.serial, keyBits: o.keyBits });
  // Key before certificate: a crash in between leaves a key with no certificate, which the next call replaces.
  writeFileDurable(paths.encryptionKey, issued.keyPem, KEY_MODE);
  writeFileDurable(paths.encryptionCert, issued.certPem, CERT_MODE);
  const cert = new X509Certificate(issued.certPem);
  return { ...issued, cert, fingerprint: cert.fingerprint256 };
}

/**
 * A certificate another site gave us (to wrap keys for it, or inside a key file it sent),
 * as it must be to be used: `file` names it in the sentence.
 */
export function checkExchangeCertificate(pem: string, file: string, now: Date): X509Certificate {
  const cert = parseCertificate(pem);
  if (!cert) {
    throw new CertificateError('EXCHANGE_CERT_NOT_CERT', `${file} is not a certificate in PEM form; ask the partner for the file its key manager exported as its encryption certificate.`, { params: { file } });
  }
  const type = cert.publicKey.asymmetricKeyType ?? 'unknown';
  if (type !== 'rsa') {
    throw new CertificateError('EXCHANGE_CERT_NOT_RSA', `The certificate in ${file} has a ${type.toUpperCase()} key, but keys are wrapped with RSA only; ask the partner for an RSA encryption certificate.`, { params: { file, keyType: type } });
  }
  const bits = cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_EXCHANGE_RSA_BITS) {
    throw new CertificateError('EXCHANGE_CERT_TOO_SHORT', `The certificate in ${file} has a ${bits}-bit RSA key, shorter than the ${MIN_EXCHANGE_RSA_BITS} bits that keys are wrapped with at least; ask the partner for a longer one.`, { params: { file, bits, min: MIN_EXCHANGE_RSA_BITS } });
  }
  if (!isValidAt(cert, now)) {
    const expired = now.getTime() >= new Date(cert.validTo).getTime();
    if (expired) {
      const at = new Date(cert.validTo).toISOString();
      throw new CertificateError('EXCHANGE_CERT_EXPIRED', `The certificate in ${file} expired on ${at}; ask the partner for its current encryption certificate.`, { params: { file, expired: at } });
    }
    const from = new Date(cert.validFrom).toISOString();
    throw new CertificateError('EXCHANGE_CERT_NOT_YET_VALID', `The certificate in ${file} is valid only from ${from}; check this server's clock, or ask the partner for another certificate.`, { params: { file, validFrom: from } });
  }
  return cert;
}
