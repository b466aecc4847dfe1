import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { TLS12_CIPHERS, TLS13_CIPHERSUITES, TLS_MAX_VERSION, TLS_MIN_VERSION } from '../kmip/tls/tls-policy.js';
import type { PairCredentials } from '../pki/index.js';

/**
 * The pair link's TLS: the key server's versions and suites, each side presenting its
 * pair certificate. Chains are not what decides trust here: each side accepts the other
 * by the fingerprint pinned at pairing (link-server.ts, link-client.ts), which names one
 * certificate, where a CA would also vouch for every library certificate it signed. The
 * handshake still proves that the other side holds the private key of what it showed.
 */
const common = {
  minVersion: TLS_MIN_VERSION,
  maxVersion: TLS_MAX_VERSION,
  ciphers: [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS].join(':'),
  ecdhCurve: 'X25519:prime256v1:secp384r1',
} as const;

export function pairServerTls(creds: PairCredentials): TlsOptions {
  return { ...common, key: creds.keyPem, cert: creds.certPem, requestCert: true, rejectUnauthorized: false, handshakeTimeout: 10_000 };
}

export function pairClientTls(creds: PairCredentials, host: string, port: number): ConnectionOptions {
  return { ...common, host, port, key: creds.keyPem, cert: creds.certPem, rejectUnauthorized: false, checkServerIdentity: () => undefined };
}
