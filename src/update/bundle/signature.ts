import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { UpdateError } from '../../errors.js';

/**
 * Update bundles are signed with Ed25519 (node:crypto). The appliance trusts one public
 * key, written in its configuration as the key's 32 raw bytes in hex ([update] public_key).
 */
export const PUBLIC_KEY_HEX = /^[0-9a-f]{64}$/;

/** The public key from its hex form; the config schema has already checked the pattern. */
export function updatePublicKey(hex: string): KeyObject {
  if (!PUBLIC_KEY_HEX.test(hex)) {
    throw new UpdateError('UPDATE_NO_KEY', 'No update signing key is configured ([update] public_key is empty), so no update can be trusted; set the vendor\'s public key there.');
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
}

/** The hex form of a key's public half, as [update] public_key takes it. */
export function publicKeyHex(key: KeyObject): string {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('hex');
}

export function loadSigningKey(pem: string | Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new UpdateError('UPDATE_KEY_NOT_ED25519', 'The signing key is not a PEM private key; give the PEM file of an Ed25519 private key.', { cause: e });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UpdateError('UPDATE_KEY_NOT_ED25519', 'The signing key is not an Ed25519 private key; give the PEM file of one.');
  return key;
}

/** The signature file's content: the 64-byte signature in base64 and a newline. */
export function signManifest(manifest: Buffer, key: KeyObject): string {
  return `${sign(null, manifest, key).toString('base64')}\n`;
}

export function signatureMatches(manifest: Buffer, signatureFile: Buffer, key: KeyObject): boolean {
  const text = signatureFile.toString('latin1').trim();
  if (!/^[A-Za-z0-9+/]{86}==$/.test(text)) return false;
  return verify(null, manifest, key, Buffer.from(text, 'base64'));
}
