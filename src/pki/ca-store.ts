import { readFile, rm } from 'node:fs/promises';
import { createCertificateAuthority, type CertifiedKey } from './authority.js';
import { writeFileDurable } from '../util/durable-file.js';
import { CertificateError } from './errors.js';
import { keyMatchesCertificate, parseCertificate } from './inspect.js';
import { CERT_MODE, KEY_MODE, type TlsPaths } from './tls-dir.js';

export async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CertificateError('CERT_READ', `Cannot read ${path}; check the appliance's data disk.`, { cause: err, params: { file: path } });
  }
}

/**
 * The appliance CA from the TLS folder, or undefined when there is none yet. A damaged or
 * half-present CA is an error, never silently replaced: every library trusts this CA, and
 * a new one would lock them all out.
 */
export async function loadCa(paths: TlsPaths): Promise<CertifiedKey | undefined> {
  const certPem = await readIfPresent(paths.caCert);
  if (certPem === undefined) return undefined;
  const cert = parseCertificate(certPem);
  if (!cert?.ca) {
    throw new CertificateError('CERT_CA_DAMAGED', `The appliance CA certificate ${paths.caCert} is damaged; restore the TLS folder from a backup.`, { params: { file: paths.caCert } });
  }
  const keyPem = await readIfPresent(paths.caKey);
  if (keyPem === undefined || !keyMatchesCertificate(keyPem, cert)) {
    throw new CertificateError(
      'CERT_CA_KEY',
      `The appliance CA key ${paths.caKey} is missing or does not match ca.pem; restore the TLS folder from a backup.`,
      { params: { file: paths.caKey } },
    );
  }
  return { certPem, keyPem };
}

export async function loadOrCreateCa(
  paths: TlsPaths,
  opts: { hostname: string; now: Date; validityDays?: number; keyBits?: number },
): Promise<{ ca: CertifiedKey; created: boolean }> {
  const existing = await loadCa(paths);
  if (existing) return { ca: existing, created: false };
  // A ca.key without ca.pem is a first start that crashed between the two writes (the key
  // is written first): that CA was never handed out, so it is safe to start afresh.
  await rm(paths.caKey, { force: true });
  const ca = createCertificateAuthority(opts);
  writeFileDurable(paths.caKey, ca.keyPem, KEY_MODE);
  writeFileDurable(paths.caCert, ca.certPem, CERT_MODE);
  return { ca, created: true };
}
