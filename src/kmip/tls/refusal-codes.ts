/**
 * Why the key server refused a client, in a few fixed words: the log line says it in full
 * (with the address and the certificate), a metric counts it by one of these.
 */
export const REFUSAL_CODES = [
  'no_certificate',
  'not_client_certificate',
  'certificate_expired',
  'certificate_not_yet_valid',
  'unknown_ca',
  'bad_signature',
  'revoked',
  'tls_version',
  'no_shared_cipher',
  'not_tls',
  'handshake_timeout',
  'client_closed',
  'unauthenticated_per_address',
  'unauthenticated_total',
  'connection_limit',
  'key_service_stopped',
  'other',
] as const;

export type RefusalCode = (typeof REFUSAL_CODES)[number];
