/**
 * Signed update bundles: what an update CD holds, how the vendor seals one, and how the
 * appliance decides, before anything changes, whether to believe and install it.
 */
export { BUNDLE_PREFIX, MANIFEST_FILE, SIGNATURE_FILE, type Manifest, type PayloadFile, bundleFolderName, payloadFileName } from './manifest.js';
export { PUBLIC_KEY_HEX, loadSigningKey, publicKeyHex, updatePublicKey } from './signature.js';
export { type BundleEntry, type BundleSource, directorySource } from './source.js';
export { type InstalledState, type SignedBundle, readSignedBundle, refusalFor, verifyBundle, verifyPayload } from './verify.js';
export { type BundleDescription, sealBundle } from './seal.js';
export { openIsoBundle } from './iso-source.js';
export { compareVersions, isVersion } from './version.js';
