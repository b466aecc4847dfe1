import { mkdir } from 'node:fs/promises';
import { writeFileDurable } from '../util/durable-file.js';
import { issueServerCertificate } from './authority.js';
import { loadOrCreateCa, readIfPresent } from './ca-store.js';
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
  paths: TlsPaths;
  /** True when this call created the CA (first start). */
  caCreated: boolean;
  /** Set when this call issued a new server certificate, with the reason. */
  serverIssued?: ServerCertIssueReason;
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
 * certificate in `tlsDir`; later calls load them, and reissue only the server certificate
 * (signed by the same CA, so libraries need no change) when it is damaged, expiring, or no
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

  const certPem = await readIfPresent(paths.serverCert);
  const keyPem = await readIfPresent(paths.serverKey);
  const names = [opts.hostname, ...(opts.altNames ?? [])];
  const problem = serverCertProblem(certPem, keyPem, ca.certPem, names, opts.now, (opts.renewBeforeDays ?? 30) * DAY_MS);
  const common = { caCertPem: ca.certPem, paths, caCreated: created };
  if (problem === undefined) {
    return { ...common, serverCertPem: certPem as string, serverKeyPem: keyPem as string };
  }
  const issued = issueServerCertificate(ca, {
    hostname: opts.hostname,
    altNames: opts.altNames,
    now: opts.now,
    validityDays: opts.serverValidityDays,
    keyBits: opts.keyBits,
  });
  // Key before certificate: a crash in between leaves a mismatch, which the next call repairs.
  writeFileDurable(paths.serverKey, issued.keyPem, KEY_MODE);
  writeFileDurable(paths.serverCert, issued.certPem, CERT_MODE);
  return { ...common, serverCertPem: issued.certPem, serverKeyPem: issued.keyPem, serverIssued: problem };
}
