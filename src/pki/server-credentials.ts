import { mkdir } from 'node:fs/promises';
import { removeDurableTemps, writeFileDurable } from '../util/durable-file.js';
import { issueServerCertificate, type CertifiedKey } from './authority.js';
import { loadOrCreateCa, readIfPresent } from './ca-store.js';
import type { KeyType } from './key-pair.js';
import { coversNames, isSignedBy, isValidAt, keyMatchesCertificate, parseCertificate, remainingMs } from './inspect.js';
import { CERT_MODE, DIR_MODE, KEY_MODE, tlsPaths, type TlsPaths } from './tls-dir.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface EnsureServerCredentialsOptions {
  hostname: string;
  altNames?: readonly string[];
  now: Date;
  /** Reissue the server certificate when it has less than this left (default 30 days). */
  renewBeforeDays?: number;
  caValidityDays?: number;
  serverValidityDays?: number;
  keyBits?: number;
}

/** Why the server certificate was (re)issued on this call, if it was. */
export type ServerCertIssueReason = 'absent' | 'unreadable' | 'not-from-ca' | 'key-mismatch' | 'names-changed' | 'expiring' | 'not-yet-valid';

export interface ServerCredentials {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** The ECDSA P-256 server certificate and key, presented beside the RSA pair. */
  serverEcdsaCertPem: string;
  serverEcdsaKeyPem: string;
  paths: TlsPaths;
  /** True when this call created the CA (first start). */
  caCreated: boolean;
  /** Set when this call issued a new RSA server certificate, with the reason. */
  serverIssued?: ServerCertIssueReason;
  /** Set when this call issued a new ECDSA server certificate (on first start, and on the upgrade that brought it). */
  serverEcdsaIssued?: ServerCertIssueReason;
}

function serverCertProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  caCertPem: string,
  names: readonly string[],
  now: Date,
  renewBeforeMs: number,
): ServerCertIssueReason | undefined {
  if (certPem === undefined || keyPem === undefined) return 'absent';
  const cert = parseCertificate(certPem);
  const ca = parseCertificate(caCertPem);
  if (!cert || !ca) return 'unreadable';
  if (!isSignedBy(cert, ca)) return 'not-from-ca';
  if (!keyMatchesCertificate(keyPem, cert)) return 'key-mismatch';
  if (!coversNames(cert, names)) return 'names-changed';
  if (new Date(cert.validFrom).getTime() > now.getTime()) return 'not-yet-valid';
  if (!isValidAt(cert, now) || remainingMs(cert, now) < renewBeforeMs) return 'expiring';
  return undefined;
}

/**
 * The credentials qkmd's key server needs. The first call creates the CA and the server
 * certificates (RSA and ECDSA) in `tlsDir`; later calls load them, and reissue only a
 * server certificate (signed by the same CA, so libraries need no change) when it is
 * absent (a data directory from before the ECDSA certificate), damaged, expiring, or no
 * longer names the appliance's hostname and addresses.
 */
export async function ensureServerCredentials(tlsDir: string, opts: EnsureServerCredentialsOptions): Promise<ServerCredentials> {
  const paths = tlsPaths(tlsDir);
  await mkdir(tlsDir, { recursive: true, mode: DIR_MODE });
  const { ca, created } = await loadOrCreateCa(paths, {
    hostname: opts.hostname,
    now: opts.now,
    validityDays: opts.caValidityDays,
    keyBits: opts.keyBits,
  });
  const rsa = await ensureServerLeaf(ca, { cert: paths.serverCert, key: paths.serverKey }, 'rsa', opts);
  const ecdsa = await ensureServerLeaf(ca, { cert: paths.serverEcdsaCert, key: paths.serverEcdsaKey }, 'ecdsa', opts);
  return {
    caCertPem: ca.certPem,
    paths,
    caCreated: created,
    serverCertPem: rsa.certPem,
    serverKeyPem: rsa.keyPem,
    serverEcdsaCertPem: ecdsa.certPem,
    serverEcdsaKeyPem: ecdsa.keyPem,
    ...(rsa.issued && { serverIssued: rsa.issued }),
    ...(ecdsa.issued && { serverEcdsaIssued: ecdsa.issued }),
  };
}

/** One server certificate of `keyType` at `files`: loaded when sound, otherwise issued and written durably. */
async function ensureServerLeaf(
  ca: CertifiedKey,
  files: { cert: string; key: string },
  keyType: KeyType,
  opts: EnsureServerCredentialsOptions,
): Promise<CertifiedKey & { issued?: ServerCertIssueReason }> {
  // A write killed before its rename leaves a private key in a temporary file: none may linger.
  removeDurableTemps(files.key);
  const certPem = await readIfPresent(files.cert);
  const keyPem = await readIfPresent(files.key);
  const names = [opts.hostname, ...(opts.altNames ?? [])];
  const problem = serverCertProblem(certPem, keyPem, ca.certPem, names, opts.now, (opts.renewBeforeDays ?? 30) * DAY_MS);
  if (problem === undefined) return { certPem: certPem as string, keyPem: keyPem as string };
  const issued = issueServerCertificate(ca, {
    hostname: opts.hostname,
    altNames: opts.altNames,
    now: opts.now,
    validityDays: opts.serverValidityDays,
    keyBits: opts.keyBits,
    keyType,
  });
  // Key before certificate: a crash in between leaves a mismatch, which the next call repairs.
  writeFileDurable(files.key, issued.keyPem, KEY_MODE);
  writeFileDurable(files.cert, issued.certPem, CERT_MODE);
  return { ...issued, issued: problem };
}

/**
 * The status page's certificate: an ECDSA leaf of the same appliance CA (created first if
 * this is the first start), kept beside the key server's and renewed by the same rules.
 */
export async function ensureWebCredentials(tlsDir: string, opts: EnsureServerCredentialsOptions): Promise<{ certPem: string; keyPem: string; caCertPem: string; issued?: ServerCertIssueReason }> {
  const paths = tlsPaths(tlsDir);
  await mkdir(tlsDir, { recursive: true, mode: DIR_MODE });
  const { ca } = await loadOrCreateCa(paths, { hostname: opts.hostname, now: opts.now, validityDays: opts.caValidityDays, keyBits: opts.keyBits });
  const leaf = await ensureServerLeaf(ca, { cert: paths.webCert, key: paths.webKey }, 'ecdsa', opts);
  return { ...leaf, caCertPem: ca.certPem };
}
