import type { KeyObject } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { UpdateError } from '../../errors.js';
import { digestStream } from './digest.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, MANIFEST_FILE, type Manifest, SIGNATURE_FILE, bundleFolderName } from './manifest.js';
import { signManifest } from './signature.js';

export interface BundleDescription {
  version: string;
  updatesFrom: string;
  keystoreSchema: Manifest['keystoreSchema'];
  createdAt: string;
}

/**
 * Seals a bundle folder (the vendor's side): lists every file already in it as the
 * payload, with its size and sha256, writes manifest.json and signs it. The folder must
 * be named for the version, as the CD will carry it.
 */
export async function sealBundle(folder: string, d: BundleDescription, key: KeyObject): Promise<Manifest> {
  if (path.basename(folder) !== bundleFolderName(d.version)) throw new UpdateError('UPDATE_BUNDLE_NAME', `The bundle folder must be named ${bundleFolderName(d.version)}, not ${path.basename(folder)}.`);
  const names = (await fs.readdir(folder)).filter((n) => n !== MANIFEST_FILE && n !== SIGNATURE_FILE).sort();
  const files = [];
  for (const name of names) files.push({ name, ...(await digestStream(createReadStream(path.join(folder, name)))) });
  const manifest: Manifest = { format: BUNDLE_FORMAT, formatVersion: BUNDLE_FORMAT_VERSION, ...d, files: files.map(({ name, size, sha256 }) => ({ name, size, sha256 })) };
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await fs.writeFile(path.join(folder, MANIFEST_FILE), bytes);
  await fs.writeFile(path.join(folder, SIGNATURE_FILE), signManifest(bytes, key));
  return manifest;
}
