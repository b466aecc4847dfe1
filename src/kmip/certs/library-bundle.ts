import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { issueClientCertificate } from './authority.js';
import { writeFileDurable } from '../../util/durable-file.js';
import { CertificateError } from './errors.js';
import { loadCa } from './ca-store.js';
import { CERT_MODE, DIR_MODE, KEY_MODE, tlsPaths } from './tls-dir.js';

/** The names of the files inside a library bundle; a library's import screen looks for these. */
export const BUNDLE_ENTRIES = { caCert: 'ca.pem', clientCert: 'client.pem', clientKey: 'client.key' } as const;

export interface WriteLibraryBundleOptions {
  tlsDir: string;
  library: string;
  outFile: string;
  now: Date;
  validityDays?: number;
  keyBits?: number;
}

export interface LibraryBundle {
  outFile: string;
  library: string;
  certPem: string;
  serialNumber: string;
  /** SHA-256 fingerprint, upper-case hex with colons, as the key server logs it. */
  fingerprint256: string;
  notAfter: Date;
}

async function gzipTarOf(dir: string, files: readonly string[], mtime: Date): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // `portable` drops the owner and host details; `mtime` pins entry times to the injected clock.
  const pack = createTar({ gzip: true, cwd: dir, portable: true, mtime }, [...files]);
  for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Issue a client certificate for `library` and write the one .tgz the library imports:
 * the appliance CA certificate, the library's certificate and its private key. The private
 * key exists only in the bundle (the appliance keeps a copy of the certificate alone), so
 * the bundle file is written 0600 and atomically.
 */
export async function writeLibraryBundle(opts: WriteLibraryBundleOptions): Promise<LibraryBundle> {
  const paths = tlsPaths(opts.tlsDir);
  const ca = await loadCa(paths);
  if (!ca) {
    // A bundle for a CA no server presents would be useless: the CA comes from the server's first start.
    throw new CertificateError(
      'CERT_NO_CA',
      `There is no appliance CA in ${opts.tlsDir} yet; start the key service once, then make the library bundle.`,
    );
  }
  const client = issueClientCertificate(ca, {
    library: opts.library,
    now: opts.now,
    validityDays: opts.validityDays,
    keyBits: opts.keyBits,
  });

  // Stage inside the private TLS folder, never in a shared temp folder: it holds a private key.
  const staging = await mkdtemp(join(opts.tlsDir, '.bundle-'));
  try {
    await writeFile(join(staging, BUNDLE_ENTRIES.caCert), ca.certPem, { mode: CERT_MODE });
    await writeFile(join(staging, BUNDLE_ENTRIES.clientCert), client.certPem, { mode: CERT_MODE });
    await writeFile(join(staging, BUNDLE_ENTRIES.clientKey), client.keyPem, { mode: KEY_MODE });
    const tgz = await gzipTarOf(staging, Object.values(BUNDLE_ENTRIES), opts.now);
    writeFileDurable(opts.outFile, tgz, KEY_MODE);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }

  const cert = new X509Certificate(client.certPem);
  await mkdir(paths.issued, { recursive: true, mode: DIR_MODE });
  writeFileDurable(join(paths.issued, `${opts.library}-${cert.serialNumber.toLowerCase()}.pem`), client.certPem, CERT_MODE);
  return {
    outFile: opts.outFile,
    library: opts.library,
    certPem: client.certPem,
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    notAfter: new Date(cert.validTo),
  };
}
