import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * RSA stays the CA's key and the server's first certificate: every KMIP client we must
 * serve (PyKMIP's fixed ECDHE-RSA-AES128-GCM-SHA256, older tape library firmware) handles
 * RSA. 3072 bits is the NIST size for use beyond 2030, which the appliance's 20-year CA needs.
 */
export const DEFAULT_RSA_BITS = 3072;

/**
 * The kinds of key a leaf certificate may carry. ECDSA P-256 signs a handshake in a small
 * fraction of RSA-3072's time, which is most of what a fresh mutual-TLS connection costs.
 */
export const KEY_TYPES = ['rsa', 'ecdsa'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

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

/** P-256 (prime256v1): the curve every TLS 1.2 and 1.3 stack signs with. */
export function generateEcdsaKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** A fresh key of `type`; `rsaBits` sizes an RSA key and is ignored for ECDSA. */
export function generateKeyPair(type: KeyType, rsaBits?: number): KeyPairPem {
  return type === 'ecdsa' ? generateEcdsaKeyPair() : generateRsaKeyPair(rsaBits);
}

/** True when the private key is the other half of the certificate's public key. */
export function keyMatchesPublicKey(privateKeyPem: string | KeyObject, publicKey: KeyObject): boolean {
  const priv = typeof privateKeyPem === 'string' ? createPrivateKey(privateKeyPem) : privateKeyPem;
  const derived = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  return derived.equals(publicKey.export({ type: 'spki', format: 'der' }));
}
