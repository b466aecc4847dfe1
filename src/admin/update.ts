import { KEYSTORE_SCHEMA_VERSION } from '../engine/index.js';
import type { UpdateError } from '../errors.js';
import { type BundleSource, type InstalledState, type Manifest, readSignedBundle, refusalFor, updatePublicKey, verifyPayload } from '../update/bundle/index.js';

/** What an update CD holds and whether this box would take it. */
export interface UpdateCheck {
  source: string;
  folder: string;
  manifest: Manifest;
  installed: InstalledState;
  /** Why it would not be installed (older, too new a step, a keystore it cannot read); null when it would. */
  refusal: UpdateError | null;
}

export interface CheckUpdateOptions {
  /** [update] public_key: the one key whose signature is believed. */
  publicKey: string;
  installedVersion: string;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Reads and verifies an update without changing anything: a bundle that is unsigned,
 * signed by another key, altered or damaged is thrown as its one sentence; a trusted
 * bundle this box must not take is returned with the reason, since what it is can be
 * believed. Every payload file is hashed only when the bundle would be installed.
 */
export async function checkUpdate(source: BundleSource, o: CheckUpdateOptions): Promise<UpdateCheck> {
  const bundle = await readSignedBundle(source, updatePublicKey(o.publicKey));
  // The installed software keeps the keystore at its own schema version (qkmd upgrades it when it opens it).
  const installed = { version: o.installedVersion, keystoreSchema: KEYSTORE_SCHEMA_VERSION };
  const refusal = refusalFor(bundle.manifest, installed);
  if (!refusal) await verifyPayload(source, bundle, o.onProgress);
  return { source: source.description, folder: bundle.folder, manifest: bundle.manifest, installed, refusal };
}
