import { constants } from 'node:crypto';
import type { TlsOptions } from 'node:tls';

export const TLS_MIN_VERSION = 'TLSv1.2';
export const TLS_MAX_VERSION = 'TLSv1.3';

/**
 * TLS 1.2: forward-secret AEAD suites only, with RSA authentication because the
 * appliance's server key is RSA (node-forge certificates carry RSA keys). PyKMIP's client,
 * fixed at TLS 1.2, offers ECDHE-RSA-AES128-GCM-SHA256, so that suite must stay.
 */
export const TLS12_CIPHERS = [
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
] as const;

/** TLS 1.3 suites are all ECDHE/AEAD; listed to pin the order we prefer. */
export const TLS13_CIPHERSUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'] as const;

/** The PEM material the key server presents and trusts. */
export interface ServerTlsMaterial {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

export function keyServerTlsOptions(material: ServerTlsMaterial, handshakeTimeoutMs: number): TlsOptions {
  return {
    key: material.serverKeyPem,
    cert: material.serverCertPem,
    // Only our CA: a certificate from any other issuer, including public CAs, is refused.
    ca: [material.caCertPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: TLS_MIN_VERSION,
    maxVersion: TLS_MAX_VERSION,
    ciphers: [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS].join(':'),
    honorCipherOrder: true,
    ecdhCurve: 'X25519:prime256v1:secp384r1',
    // No session resumption: a resumed session skips the client certificate check, so a
    // certificate that expired since the first handshake could keep its access.
    secureOptions: constants.SSL_OP_NO_TICKET,
    handshakeTimeout: handshakeTimeoutMs,
    allowHalfOpen: true,
  };
}
