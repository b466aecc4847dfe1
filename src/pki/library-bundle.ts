import type { ClientRole } from './client-role.js';
import { X509Certificate } from 'node:crypto';
import { accessSync, constants, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeDurableTemps, writeFileDurable } from '../util/durable-file.js';
import { gzipTarInMemory } from '../util/tar-memory.js';
import { assertLibraryName, issueClientCertificate } from './authority.js';
import { loadCa } from './ca-store.js';
import { CertificateError } from './errors.js';
import { describeFileError } from '../util/file-errors.js';
import { forgetIssued, recordIssued, validCertificatesOf, type CertificateRecord } from './register.js';
import type { KeyType } from './key-pair.js';
import { CERT_MODE, KEY_MODE, tlsPaths } from './tls-dir.js';

/** The names of the files inside a library bundle; a library's import screen looks for these. */
export const BUNDLE_ENTRIES = { caCert: 'ca.pem', clientCert: 'client.pem', clientKey: 'client.key' } as const;

export interface WriteLibraryBundleOptions {
  tlsDir: string;
  library: string;
  /** A tape library unless said. */
  role?: ClientRole;
  outFile: string;
  now: Date;
  validityDays?: number;
  keyBits?: number;
  /** The CA certificates of the other servers of the pair: the library trusts their key servers too. */
  peerCas?: readonly string[];
  /** The client certificate's key: RSA (the default, which every library takes) or ECDSA P-256. */
  keyType?: KeyType;
}

export interface LibraryBundle {
  outFile: string;
  library: string;
  certPem: string;
  serialNumber: string;
  /** SHA-256 fingerprint, upper-case hex with colons, as the key server logs it. */
  fingerprint256: string;
  notAfter: Date;
  keyType: KeyType;
  /** The library's other certificates still valid when this one was issued. */
  alreadyValid: CertificateRecord[];
  /** Leftovers of killed runs that held a private key, removed by this run. */
  leftoversRemoved: number;
}

/** Older versions staged bundles in `<tls>/.bundle-*`; a killed run left a private key there. */
const STAGING_LEFTOVER = /^\.bundle-/;

/**
 * Remove what killed `certs library-bundle` runs of older versions left in the TLS folder
 * (each held a library's private key, which the appliance promises not to keep); run by
 * every bundle and at qkmd start. Returns how many were removed.
 */
export function removeBundleLeftovers(tlsDir: string): number {
  let names: string[];
  try {
    names = readdirSync(tlsDir);
  } catch {
    return 0; // no TLS folder yet: nothing was ever staged
  }
  const stale = names.filter((n) => STAGING_LEFTOVER.test(n));
  for (const name of stale) rmSync(join(tlsDir, name), { recursive: true, force: true });
  return stale.length;
}

/** The place --out names must be a file in an existing folder this process can write; `what` names the file to write. */
export function assertWritableTarget(outFile: string, what = 'the bundle', example = 'LIBRARY.tgz'): void {
  const existing = statOrUndefined(outFile);
  if (existing?.isDirectory()) {
    throw new CertificateError('CERT_OUT_IS_FOLDER', `${outFile} is a folder; give --out a file name for ${what}, such as ${join(outFile, example)}.`, { params: { file: outFile } });
  }
  if (existing && !existing.isFile()) {
    throw new CertificateError('CERT_OUT_NOT_FILE', `${outFile} is not a regular file; give --out a new file name for ${what}.`, { params: { file: outFile } });
  }
  const dir = dirname(outFile);
  const parent = statOrUndefined(dir);
  if (!parent?.isDirectory()) {
    throw new CertificateError('CERT_OUT_NO_FOLDER', `The folder ${dir} does not exist; create it, or give --out a file in an existing folder.`, { params: { folder: dir } });
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CertificateError('CERT_OUT_NOT_WRITABLE', `Cannot write in ${dir} (${describeFileError(err)}); give --out a file in a folder you can write.`, { cause: err, params: { folder: dir, reason: describeFileError(err) } });
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CertificateError('CERT_OUT_UNREADABLE', `Cannot look at ${path} (${describeFileError(err)}); give --out another file.`, { cause: err, params: { file: path, reason: describeFileError(err) } });
  }
}

/**
 * Issue a client certificate for `library` and write the one .tgz the library imports:
 * the appliance CA certificate (with its peers' on a pair, so that one bundle reaches
 * both servers), the library's certificate and its private key. The private
 * key exists only in the bundle (the appliance keeps a copy of the certificate alone): the
 * bundle is built in memory and written 0600 to a temporary name beside --out, then renamed.
 * A failure leaves neither the bundle nor a registered certificate.
 */
export async function writeLibraryBundle(opts: WriteLibraryBundleOptions): Promise<LibraryBundle> {
  assertLibraryName(opts.library);
  assertWritableTarget(opts.outFile);
  const leftoversRemoved = removeBundleLeftovers(opts.tlsDir) + removeDurableTemps(opts.outFile);
  const ca = await loadCa(tlsPaths(opts.tlsDir));
  if (!ca) {
    // A bundle for a CA no server presents would be useless: the CA comes from the server's first start.
    throw new CertificateError(
      'CERT_NO_CA',
      `There is no appliance CA in ${opts.tlsDir} yet; start the key service once, then make the library bundle.`,
      { params: { tlsDir: opts.tlsDir } },
    );
  }
  const alreadyValid = validCertificatesOf(opts.tlsDir, opts.library, opts.now);
  const client = issueClientCertificate(ca, {
    library: opts.library,
    ...(opts.role !== undefined && { role: opts.role }),
    now: opts.now,
    validityDays: opts.validityDays,
    keyBits: opts.keyBits,
    keyType: opts.keyType,
  });
  const cert = new X509Certificate(client.certPem);
  const tgz = gzipTarInMemory(
    [
      { name: BUNDLE_ENTRIES.caCert, data: [ca.certPem, ...(opts.peerCas ?? [])].map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`)).join(''), mode: CERT_MODE },
      { name: BUNDLE_ENTRIES.clientCert, data: client.certPem, mode: CERT_MODE },
      { name: BUNDLE_ENTRIES.clientKey, data: client.keyPem, mode: KEY_MODE },
    ],
    opts.now,
  );

  // Registered before the bundle exists, so no certificate is ever out in the world unlisted;
  // a crash in between leaves a listed certificate whose key nobody has, which is harmless.
  const registered = recordIssued(opts.tlsDir, opts.library, cert);
  try {
    writeFileDurable(opts.outFile, tgz, KEY_MODE);
  } catch (err) {
    forgetIssued(registered);
    throw new CertificateError('CERT_OUT_WRITE', `Cannot write ${opts.outFile} (${describeFileError(err)}); nothing was written, give --out another place.`, { cause: err, params: { file: opts.outFile, reason: describeFileError(err) } });
  }
  return {
    outFile: opts.outFile,
    library: opts.library,
    certPem: client.certPem,
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    notAfter: new Date(cert.validTo),
    keyType: opts.keyType ?? 'rsa',
    alreadyValid,
    leftoversRemoved,
  };
}
