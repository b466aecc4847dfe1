import { UpdateError } from '../../errors.js';
import { isVersion } from './version.js';

/**
 * The update bundle as it sits on the CD: one folder named for its version holding the
 * signed manifest, its signature and the payload files the manifest lists.
 *
 *   qkm-update-1.4.0/
 *     manifest.json        what this bundle is (below), the bytes that are signed
 *     manifest.json.sig    Ed25519 signature of manifest.json, 64 bytes in base64
 *     qkm-1.4.0.tgz        the payload: the built software, as the manifest lists it
 */
export const BUNDLE_PREFIX = 'qkm-update-';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.json.sig';
export const BUNDLE_FORMAT = 'qkm-update-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
/** A manifest lists a handful of files; anything much larger is not one of ours. */
export const MANIFEST_MAX_BYTES = 64 * 1024;

export interface PayloadFile {
  /** A plain file name inside the bundle folder (no folders, no "..": nothing to walk out with). */
  name: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  version: string;
  /** The lowest installed version this bundle may update. */
  updatesFrom: string;
  /**
   * Keystore schema versions this version opens (`reads`, inclusive) and leaves behind
   * (`writes`); `readableFrom`, the oldest schema whose software may still open what it
   * leaves (the engine's READABLE_FROM; `writes` when absent): a rollback needs it.
   */
  keystoreSchema: { reads: [number, number]; writes: number; readableFrom?: number };
  createdAt: string;
  files: PayloadFile[];
}

export function bundleFolderName(version: string): string {
  return `${BUNDLE_PREFIX}${version}`;
}

export function payloadFileName(version: string): string {
  return `qkm-${version}.tgz`;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * Reads a manifest whose signature has already been checked. A signed manifest that
 * does not parse is still refused: a vendor's mistake must not install half a bundle.
 */
export function parseManifest(bytes: Buffer, where: string): Manifest {
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(bytes.toString('utf8')) as Partial<Manifest>;
  } catch {
    throw bad(where, 'is not JSON');
  }
  if (m === null || typeof m !== 'object' || m.format !== BUNDLE_FORMAT) throw bad(where, `is not a ${BUNDLE_FORMAT} manifest`);
  if (m.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw new UpdateError('UPDATE_FORMAT_UNKNOWN', `The update's manifest ${where} has format version ${String(m.formatVersion).slice(0, 20)}, which this qkm does not read; install the updates in between first.`);
  }
  if (!isVersion(m.version) || !isVersion(m.updatesFrom)) throw bad(where, 'has no valid version or updatesFrom');
  const schema = m.keystoreSchema;
  const reads = schema?.reads;
  if (!Array.isArray(reads) || reads.length !== 2 || !reads.every(isCount) || reads[0] > reads[1] || !isCount(schema!.writes) || schema!.writes < reads[0] || schema!.writes > reads[1]) {
    throw bad(where, 'has no valid keystoreSchema');
  }
  if (schema!.readableFrom !== undefined && (!isCount(schema!.readableFrom) || schema!.readableFrom > schema!.writes)) throw bad(where, 'has no valid keystoreSchema.readableFrom');
  if (typeof m.createdAt !== 'string') throw bad(where, 'has no createdAt');
  const files = m.files;
  if (!Array.isArray(files) || files.length === 0) throw bad(where, 'lists no payload files');
  const names = new Set<string>();
  for (const f of files) {
    if (typeof f?.name !== 'string' || !FILE_NAME.test(f.name) || f.name === MANIFEST_FILE || f.name === SIGNATURE_FILE || names.has(f.name)) {
      throw bad(where, `lists a payload file with an unacceptable name ("${String(f?.name).slice(0, 80)}")`);
    }
    if (!isCount(f.size) || typeof f.sha256 !== 'string' || !SHA256.test(f.sha256)) throw bad(where, `gives no valid size and sha256 for ${f.name}`);
    names.add(f.name);
  }
  return m as Manifest;
}

function bad(where: string, what: string): UpdateError {
  return new UpdateError('UPDATE_MANIFEST_INVALID', `The update's manifest ${where} ${what}; this is not a usable qkm update, ask the vendor for a good one.`);
}
