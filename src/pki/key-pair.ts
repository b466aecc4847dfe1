import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * RSA, not ECDSA: node-forge can only put RSA public keys into a certificate, and every
 * KMIP client we must serve (PyKMIP's fixed ECDHE-RSA-AES128-GCM-SHA256, tape library
 * firmware) handles RSA. 3072 bits is the NIST size for use beyond 2030, which the
 * appliance's 20-year CA needs.
 */
export const DEFAULT_RSA_BITS = 3072;

export interface KeyPairPem {
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"). */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"). */
  publicKeyPem: string;
}

/** Key generation (and so all its randomness) is node:crypto's, never forge's. */
export function generateRsaKeyPair(bits: number = DEFAULT_RSA_BITS): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** True when the private key is the other half of the certificate's public key. */
export function keyMatchesPublicKey(privateKeyPem: string | KeyObject, publicKey: KeyObject): boolean {
  const priv = typeof privateKeyPem === 'string' ? createPrivateKey(privateKeyPem) : privateKeyPem;
  const derived = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  return derived.equals(publicKey.export({ type: 'spki', format: 'der' }));
}
