import type { KeyObject } from 'node:crypto';
import { UpdateError, isQkmError } from '../../errors.js';
import { digestStream } from './digest.js';
import { BUNDLE_PREFIX, MANIFEST_FILE, MANIFEST_MAX_BYTES, type Manifest, SIGNATURE_FILE, parseManifest } from './manifest.js';
import { signatureMatches } from './signature.js';
import type { BundleEntry, BundleSource } from './source.js';
import { compareVersions, isVersion } from './version.js';

/** A bundle whose manifest carries a valid signature: what it says may be believed. */
export interface SignedBundle {
  /** The bundle's folder in the source. */
  folder: string;
  manifest: Manifest;
  /** The folder's entries, as listed when the manifest was read. */
  entries: BundleEntry[];
}

/** What the box is, for deciding whether a bundle may be installed on it. */
export interface InstalledState {
  version: string;
  /** The keystore schema version the installed software keeps the keystore at. */
  keystoreSchema: number;
}

/**
 * Finds the one bundle on the source and checks its manifest's signature against the
 * key the appliance trusts. Nothing of the manifest is read before its signature holds.
 */
export async function readSignedBundle(source: BundleSource, key: KeyObject): Promise<SignedBundle> {
  const folder = await findBundleFolder(source);
  const entries = await guarded(source, folder, () => source.list(folder));
  const inFolder = (name: string) => entries.find((e) => e.name === name && e.kind === 'file');
  const manifestEntry = inFolder(MANIFEST_FILE);
  if (!manifestEntry) throw new UpdateError('UPDATE_NO_MANIFEST', `The update ${folder} on ${source.description} has no ${MANIFEST_FILE}; it is not a usable qkm update.`);
  const signatureEntry = inFolder(SIGNATURE_FILE);
  if (!signatureEntry) throw new UpdateError('UPDATE_UNSIGNED', `The update ${folder} on ${source.description} is not signed (no ${SIGNATURE_FILE}), so it cannot be trusted; use the vendor's signed CD.`);
  if (manifestEntry.size > MANIFEST_MAX_BYTES || signatureEntry.size > 1024) {
    throw new UpdateError('UPDATE_MANIFEST_INVALID', `The update ${folder} on ${source.description} has a manifest or signature far larger than any qkm update's; it is not a usable qkm update.`);
  }
  const manifestBytes = await readWhole(source, `${folder}/${MANIFEST_FILE}`, manifestEntry.size);
  const signature = await readWhole(source, `${folder}/${SIGNATURE_FILE}`, signatureEntry.size);
  if (!signatureMatches(manifestBytes, signature, key)) {
    throw new UpdateError('UPDATE_BAD_SIGNATURE', `The update ${folder} on ${source.description} is not signed by the update key this appliance trusts, or was altered after signing; it is refused.`);
  }
  const manifest = parseManifest(manifestBytes, `${folder}/${MANIFEST_FILE}`);
  if (folder !== `${BUNDLE_PREFIX}${manifest.version}`) {
    throw new UpdateError('UPDATE_NAME_MISMATCH', `The update folder ${folder} on ${source.description} holds version ${manifest.version} by its signed manifest; a renamed bundle is refused.`);
  }
  return { folder, manifest, entries };
}

/** Why this box must not take the bundle (version order, keystore schema), or null when it may. */
export function refusalFor(m: Manifest, box: InstalledState): UpdateError | null {
  if (compareVersions(m.version, box.version) <= 0) {
    return new UpdateError('UPDATE_NOT_NEWER', `The update is version ${m.version}, not newer than the installed version ${box.version}; only a newer version is installed (going back is a rollback).`);
  }
  if (compareVersions(box.version, m.updatesFrom) < 0) {
    return new UpdateError('UPDATE_FROM_TOO_OLD', `Version ${m.version} updates version ${m.updatesFrom} or later, but ${box.version} is installed; install the versions in between first.`);
  }
  const [lo, hi] = m.keystoreSchema.reads;
  if (box.keystoreSchema < lo || box.keystoreSchema > hi) {
    return new UpdateError('UPDATE_SCHEMA_UNREADABLE', `Version ${m.version} reads keystore schema versions ${lo} to ${hi}, but this box's keystore is at schema version ${box.keystoreSchema}; install the versions in between first.`);
  }
  // A rollback, or a trial the launcher gives up on, runs the installed version on the keystore the new one leaves.
  const readableFrom = m.keystoreSchema.readableFrom ?? m.keystoreSchema.writes;
  if (m.keystoreSchema.writes > box.keystoreSchema && readableFrom > box.keystoreSchema) {
    return new UpdateError('UPDATE_NO_WAY_BACK', `Version ${m.version} leaves the keystore at schema version ${m.keystoreSchema.writes}, which the installed version (schema ${box.keystoreSchema}) could not open after a rollback; install the versions in between first.`);
  }
  return null;
}

/**
 * Checks every payload file against the signed manifest: present, exactly the listed
 * size, the listed sha256; and that the folder holds nothing the manifest does not list.
 */
export async function verifyPayload(source: BundleSource, b: SignedBundle, onProgress: (done: number, total: number) => void = () => {}): Promise<void> {
  const listed = new Set([MANIFEST_FILE, SIGNATURE_FILE, ...b.manifest.files.map((f) => f.name)]);
  const stray = b.entries.find((e) => !listed.has(e.name));
  if (stray) throw new UpdateError('UPDATE_UNLISTED_FILE', `The update ${b.folder} on ${source.description} holds ${stray.name}, which its signed manifest does not list; it is refused.`);
  const total = b.manifest.files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  onProgress(done, total);
  for (const f of b.manifest.files) {
    const entry = b.entries.find((e) => e.name === f.name && e.kind === 'file');
    if (!entry) throw new UpdateError('UPDATE_FILE_MISSING', `The update ${b.folder} on ${source.description} lacks ${f.name}, which its manifest lists; the CD is incomplete.`);
    if (entry.size !== f.size) throw sizeWrong(source, b.folder, f.name, entry.size, f.size);
    const got = await guarded(source, `${b.folder}/${f.name}`, () => digestStream(source.createReadStream(`${b.folder}/${f.name}`), (n) => onProgress((done += n), total)));
    if (got.size !== f.size) throw sizeWrong(source, b.folder, f.name, got.size, f.size);
    if (got.sha256 !== f.sha256) {
      throw new UpdateError('UPDATE_FILE_ALTERED', `${f.name} of the update ${b.folder} on ${source.description} does not match the sha256 in its signed manifest: the CD is damaged or was altered; it is refused.`);
    }
  }
}

/** All of it: signature, version order and schema, every payload file. */
export async function verifyBundle(source: BundleSource, key: KeyObject, box: InstalledState, onProgress?: (done: number, total: number) => void): Promise<SignedBundle> {
  const b = await readSignedBundle(source, key);
  const refusal = refusalFor(b.manifest, box);
  if (refusal) throw refusal;
  await verifyPayload(source, b, onProgress);
  return b;
}

async function findBundleFolder(source: BundleSource): Promise<string> {
  const root = await guarded(source, 'its top folder', () => source.list(''));
  const bundles = root.filter((e) => e.kind === 'directory' && e.name.startsWith(BUNDLE_PREFIX) && isVersion(e.name.slice(BUNDLE_PREFIX.length)));
  if (bundles.length === 0) {
    throw new UpdateError('UPDATE_NOT_A_BUNDLE', `${capital(source.description)} holds no qkm update (no ${BUNDLE_PREFIX}<version> folder); use the update CD for this appliance.`);
  }
  if (bundles.length > 1) {
    throw new UpdateError('UPDATE_SEVERAL_BUNDLES', `${capital(source.description)} holds ${bundles.length} qkm updates (${bundles.map((e) => e.name).join(', ')}); an update CD holds exactly one.`);
  }
  return bundles[0]!.name;
}

async function readWhole(source: BundleSource, file: string, size: number): Promise<Buffer> {
  return guarded(source, file, async () => {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of source.createReadStream(file)) {
      n += (chunk as Buffer).length;
      // The listing's size bounds what is held in memory, whatever the stream yields.
      if (n > size) break;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  });
}

function sizeWrong(source: BundleSource, folder: string, name: string, actual: number, listed: number): UpdateError {
  return new UpdateError('UPDATE_FILE_SIZE', `${name} of the update ${folder} on ${source.description} is ${actual} bytes, but its signed manifest says ${listed}: the CD is damaged or incomplete; it is refused.`);
}

/** A read that fails (a damaged disc, a truncated image) is one sentence naming what could not be read. */
async function guarded<T>(source: BundleSource, what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (isQkmError(e)) throw e;
    const code = (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);
    throw new UpdateError('UPDATE_UNREADABLE', `Cannot read ${what} on ${source.description} (${code}): the CD is damaged or unreadable; it is refused.`, { cause: e });
  }
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
