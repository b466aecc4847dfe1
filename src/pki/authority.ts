import { type ClientRole, unitOfRole } from './client-role.js';
import { isIP } from 'node:net';
import { CertificateError } from './errors.js';
import { DEFAULT_RSA_BITS, KEY_TYPES, generateKeyPair, generateRsaKeyPair, type KeyType } from './key-pair.js';
import { buildCertificate, randomSerialHex } from './x509-builder.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Certificates start an hour before "now": a tape library whose clock runs a little behind
 * the appliance's would otherwise refuse a freshly issued certificate as not yet valid.
 */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;

export const DEFAULT_CA_VALIDITY_DAYS = 20 * 365;
export const DEFAULT_SERVER_VALIDITY_DAYS = 5 * 365;
export const DEFAULT_CLIENT_VALIDITY_DAYS = 5 * 365;

const ORGANIZATION = 'qkm key manager';

/** A certificate and its private key, both PEM. */
export interface CertifiedKey {
  certPem: string;
  keyPem: string;
}

export interface CaOptions {
  now: Date;
  /** Names the CA after the appliance, so a library trusting several appliances can tell them apart. */
  hostname: string;
  validityDays?: number;
  keyBits?: number;
}

export interface ServerCertOptions {
  now: Date;
  hostname: string;
  /** Extra names the libraries may dial: IPv4/IPv6 addresses or DNS names. */
  altNames?: readonly string[];
  validityDays?: number;
  keyBits?: number;
  /** RSA unless told: the key server presents one of each (see server-credentials.ts). */
  keyType?: KeyType;
}

export interface ClientCertOptions {
  now: Date;
  /** The library's name; it becomes the certificate's subject CN and so its identity. */
  library: string;
  /** A tape library unless said (client-role.ts). */
  role?: ClientRole;
  validityDays?: number;
  keyBits?: number;
  /** RSA unless told: ECDSA for a library whose TLS stack takes it (a cheaper handshake). */
  keyType?: KeyType;
}

/** Library names travel as the certificate CN and as file names: keep them plain. */
const LIBRARY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function assertLibraryName(library: string): void {
  if (!LIBRARY_NAME.test(library)) {
    throw new CertificateError(
      'CERT_BAD_LIBRARY_NAME',
      `The library name "${library}" cannot be used: use 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.`,
      { params: { library } },
    );
  }
}

/** The key type as an administrator typed it, or one sentence saying what may be typed. */
export function parseKeyType(text: string): KeyType {
  const type = KEY_TYPES.find((t) => t === text.toLowerCase());
  if (type === undefined) {
    throw new CertificateError(
      'CERT_BAD_KEY_TYPE',
      `"${text}" is not a certificate key type: give rsa (every library takes it) or ecdsa (a P-256 key, for a library whose TLS takes one; its handshakes cost less).`,
      { params: { keyType: text } },
    );
  }
  return type;
}

function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(days) || days <= 0) {
    throw new CertificateError('CERT_BAD_VALIDITY', `A certificate validity of ${days} days is not possible: give a positive number of days.`, { params: { days } });
  }
  return { notBefore: new Date(now.getTime() - CLOCK_SKEW_MS), notAfter: new Date(now.getTime() + days * DAY_MS) };
}

/** The self-signed root every library is told to trust. */
export function createCertificateAuthority(opts: CaOptions): CertifiedKey {
  // A random tag in the CN keeps two appliances' CAs (a primary/secondary pair, or a
  // re-installed appliance) from sharing a subject name, which confuses chain building.
  return selfSigned(`qkm CA ${opts.hostname} ${randomSerialHex().slice(0, 8)}`, opts.keyBits, validity(opts.now, opts.validityDays ?? DEFAULT_CA_VALIDITY_DAYS), [
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
}

/** A certificate signed by its own fresh key. */
function selfSigned(commonName: string, keyBits: number | undefined, dates: { notBefore: Date; notAfter: Date }, extensions: object[]): CertifiedKey {
  const keys = generateRsaKeyPair(keyBits ?? DEFAULT_RSA_BITS);
  const certPem = buildCertificate({
    subject: { commonName, organizationName: ORGANIZATION },
    subjectPublicKeyPem: keys.publicKeyPem,
    issuerPrivateKeyPem: keys.privateKeyPem,
    ...dates,
    extensions,
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

function subjectAltNames(hostname: string, altNames: readonly string[]): object[] {
  const seen = new Set<string>();
  const out: object[] = [];
  for (const name of [hostname, ...altNames]) {
    const key = name.toLowerCase();
    if (name === '' || seen.has(key)) continue;
    seen.add(key);
    // GeneralName type 7 = iPAddress, 2 = dNSName (RFC 5280 4.2.1.6).
    out.push(isIP(name) ? { type: 7, ip: name } : { type: 2, value: name });
  }
  return out;
}

/** The certificate qkmd presents on port 6000. */
export function issueServerCertificate(ca: CertifiedKey, opts: ServerCertOptions): CertifiedKey {
  return issueLeaf(ca, opts.hostname, opts.now, opts.validityDays ?? DEFAULT_SERVER_VALIDITY_DAYS, { type: opts.keyType, bits: opts.keyBits }, [
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: subjectAltNames(opts.hostname, opts.altNames ?? []) },
  ]);
}

/** A client certificate: its CN is the client's name, its OU its role (none for a library), its only use clientAuth. */
export function issueClientCertificate(ca: CertifiedKey, opts: ClientCertOptions): CertifiedKey {
  assertLibraryName(opts.library);
  // PyKMIP's server (and others) refuse a client certificate without clientAuth.
  return issueLeaf(ca, opts.library, opts.now, opts.validityDays ?? DEFAULT_CLIENT_VALIDITY_DAYS, { type: opts.keyType, bits: opts.keyBits }, [{ name: 'extKeyUsage', clientAuth: true }], unitOfRole(opts.role ?? 'library'));
}

/**
 * The certificate this server shows its peer on the pair link, as server and as client.
 * Its CN ("qkm pair <serial>") has spaces, so it can never name a library, and the peer
 * trusts it by its own fingerprint, pinned at pairing, not by the CA that signed it: a
 * library certificate from the same CA cannot pose as the server.
 */
export function issuePairCertificate(ca: CertifiedKey, opts: { now: Date; serial: string; validityDays?: number; keyBits?: number }): CertifiedKey {
  return issueLeaf(ca, `qkm pair ${opts.serial}`, opts.now, opts.validityDays ?? DEFAULT_SERVER_VALIDITY_DAYS, { bits: opts.keyBits }, [
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
  ]);
}

/**
 * The certificate the launcher shows qkmd's key server when it checks a trial version with
 * a real KMIP request. Its CN has spaces, so it can never name a library (it owns no keys
 * and sees none), and it lives a day: it is issued in memory for each check and never stored.
 */
export function issueHealthCheckCertificate(ca: CertifiedKey, opts: { now: Date; keyBits?: number }): CertifiedKey {
  return issueLeaf(ca, HEALTH_CHECK_CN, opts.now, 1, { bits: opts.keyBits ?? 2048 }, [{ name: 'extKeyUsage', clientAuth: true }]);
}

export const HEALTH_CHECK_CN = 'qkm health check';

export const DEFAULT_ENCRYPTION_VALIDITY_DAYS = 10 * 365;

/**
 * The certificate other sites wrap the keys they send us with. Self-signed, not issued by
 * the appliance CA: a partner has no reason to trust our CA (which vouches for our
 * libraries), only this one certificate, whose fingerprint its administrator checks.
 */
export function issueEncryptionCertificate(opts: { now: Date; serial: string; validityDays?: number; keyBits?: number }): CertifiedKey {
  return selfSigned(`qkm encryption ${opts.serial}`, opts.keyBits, validity(opts.now, opts.validityDays ?? DEFAULT_ENCRYPTION_VALIDITY_DAYS), [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  ]);
}

/** A certificate signed by the appliance CA for an end entity (not a CA), with its own fresh key. */
function issueLeaf(ca: CertifiedKey, commonName: string, now: Date, validityDays: number, key: { type?: KeyType; bits?: number }, usage: object[], unit?: string): CertifiedKey {
  const type = key.type ?? 'rsa';
  const keys = generateKeyPair(type, key.bits ?? DEFAULT_RSA_BITS);
  const certPem = buildCertificate({
    subject: { commonName, organizationName: ORGANIZATION, ...(unit !== undefined && { organizationalUnitName: unit }) },
    issuerCertPem: ca.certPem,
    subjectPublicKeyPem: keys.publicKeyPem,
    issuerPrivateKeyPem: ca.keyPem,
    ...validity(now, validityDays),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      // An ECDSA key only signs (RFC 8813: no keyEncipherment for EC keys).
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: type === 'rsa', critical: true },
      ...usage,
    ],
  });
  return { certPem, keyPem: keys.privateKeyPem };
}
