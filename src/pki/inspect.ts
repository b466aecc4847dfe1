import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { keyMatchesPublicKey } from './key-pair.js';

/** Parse a PEM certificate, or return undefined when it is not one. */
export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** True when `keyPem` parses and is the private half of `cert`'s public key. */
export function keyMatchesCertificate(keyPem: string, cert: X509Certificate): boolean {
  try {
    return keyMatchesPublicKey(createPrivateKey(keyPem), cert.publicKey);
  } catch {
    return false;
  }
}

/** True when `cert` names `ca` as issuer and carries a valid signature by it. */
export function isSignedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** True when every name is in the certificate's subjectAltName. */
export function coversNames(cert: X509Certificate, names: readonly string[]): boolean {
  const san = (cert.subjectAltName ?? '').split(', ').map((s) => s.toLowerCase());
  return names.every((name) => {
    const entry = isIP(name) ? `ip address:${normalizeIp(name)}` : `dns:${name.toLowerCase()}`;
    return san.includes(entry);
  });
}

function normalizeIp(ip: string): string {
  // OpenSSL prints IPv6 SAN entries expanded and upper-case; compare in that form.
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => parseInt(g, 16).toString(16).toUpperCase()).join(':').toLowerCase();
}

/** True while `now` is inside the certificate's validity window. */
export function isValidAt(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom).getTime() <= now.getTime() && now.getTime() < new Date(cert.validTo).getTime();
}

/** Milliseconds from `now` to the certificate's end of validity (negative once expired). */
export function remainingMs(cert: X509Certificate, now: Date): number {
  return new Date(cert.validTo).getTime() - now.getTime();
}
