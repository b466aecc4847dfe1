import type { TlsOptions } from 'node:tls';

export const TLS_MIN_VERSION = 'TLSv1.2';
export const TLS_MAX_VERSION = 'TLSv1.3';

/**
 * TLS 1.2: forward-secret AEAD suites only. ECDSA suites first, so a client that offers
 * them gets the ECDSA certificate (a P-256 signature costs a small fraction of an RSA-3072
 * one; PyKMIP's client, fixed at TLS 1.2, takes it); RSA suites for the rest, of which
 * ECDHE-RSA-AES128-GCM-SHA256 is what a client limited to RSA is most likely to offer.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
] as const;

/** TLS 1.3 suites are all ECDHE/AEAD; listed to pin the order we prefer. */
export const TLS13_CIPHERSUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'] as const;

/**
 * How long a session ticket may be used to resume, and how often the key that seals
 * tickets is replaced (an hour each). The key lives in this process's memory only, so a
 * restart, like a rotation, makes every client do one full handshake again; a stolen
 * ticket key opens at most the last hour's sessions. Node holds one ticket key at a
 * time, so a rotation also ends the tickets issued under the key before it.
 */
export const SESSION_TICKET_LIFETIME_S = 60 * 60;
export const TICKET_KEY_ROTATION_MS = SESSION_TICKET_LIFETIME_S * 1000;
/** OpenSSL's session ticket key: 16 bytes of name, 16 of HMAC key, 16 of AES key. */
export const TICKET_KEY_BYTES = 48;

/**
 * Sessions of this server resume only here (OpenSSL refuses to resume a session with
 * client certificates without a context naming the service).
 */
const SESSION_ID_CONTEXT = 'qkm-kmip-key-server';

/** The PEM material the key server presents and trusts. */
export interface ServerTlsMaterial {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** The ECDSA P-256 twin of the server certificate; OpenSSL picks it for clients that sign with ECDSA. */
  serverEcdsaCertPem?: string;
  serverEcdsaKeyPem?: string;
}

export function keyServerTlsOptions(material: ServerTlsMaterial, handshakeTimeoutMs: number, ticketKeys: Buffer): TlsOptions {
  const ecdsa = material.serverEcdsaCertPem !== undefined && material.serverEcdsaKeyPem !== undefined;
  return {
    // One certificate per key type; OpenSSL chooses by the client's signature algorithms
    // (and at TLS 1.2, by the suite chosen).
    key: [material.serverKeyPem, ...(ecdsa ? [material.serverEcdsaKeyPem!] : [])],
    cert: [material.serverCertPem, ...(ecdsa ? [material.serverEcdsaCertPem!] : [])],
    // Only our CA: a certificate from any other issuer, including public CAs, is refused.
    ca: [material.caCertPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: TLS_MIN_VERSION,
    maxVersion: TLS_MAX_VERSION,
    ciphers: [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS].join(':'),
    honorCipherOrder: true,
    ecdhCurve: 'X25519:prime256v1:secp384r1',
    // Session tickets (TLS 1.2 and 1.3) let a returning library skip the certificate
    // signatures. A resumed session carries the client certificate it was made with; the
    // server checks it again (revocation, expiry) at every resumption (server.ts).
    ticketKeys,
    sessionTimeout: SESSION_TICKET_LIFETIME_S,
    sessionIdContext: SESSION_ID_CONTEXT,
    handshakeTimeout: handshakeTimeoutMs,
    allowHalfOpen: true,
  };
}
