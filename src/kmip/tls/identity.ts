import type { PeerCertificate } from 'node:tls';
import { type ClientRole, roleOfUnit } from '../../pki/client-role.js';
import type { RefusalCode } from './refusal-codes.js';

const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Who is on the other end of a connection, as its certificate says. */
export interface ClientIdentity {
  /** The certificate's subject CN: the tape library's name, and the owner of its keys. */
  library: string;
  /** What the holder may do, as the certificate's OU says (a tape library when it says nothing). */
  role: ClientRole;
  /** SHA-256 of the certificate, upper-case hex with colons (as Node and OpenSSL print it). */
  fingerprint256: string;
  serialNumber: string;
  notAfter: Date;
}

export type IdentityResult = { ok: true; identity: ClientIdentity } | { ok: false; reason: string; code: RefusalCode };

/**
 * The chain, dates and CA were already checked during the handshake; this adds what
 * OpenSSL does not check for a server: that the certificate names a library and was made
 * for a client (so the appliance's own server certificate cannot pose as a library).
 */
export function identityFromCertificate(cert: PeerCertificate | undefined): IdentityResult {
  if (!cert?.fingerprint256) return { ok: false, reason: 'no client certificate', code: 'no_certificate' };
  const cn = cert.subject?.CN;
  const library = Array.isArray(cn) ? undefined : cn;
  if (!library) return { ok: false, reason: 'client certificate has no (single) subject CN', code: 'not_client_certificate' };
  const eku = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage;
  if (!eku?.includes(OID_CLIENT_AUTH)) {
    return { ok: false, reason: `client certificate of "${library}" lacks extendedKeyUsage clientAuth`, code: 'not_client_certificate' };
  }
  return {
    ok: true,
    identity: {
      library,
      role: roleOfUnit(typeof cert.subject.OU === 'string' ? cert.subject.OU : undefined),
      fingerprint256: cert.fingerprint256,
      serialNumber: cert.serialNumber,
      notAfter: new Date(cert.valid_to),
    },
  };
}

/**
 * The identity, unless its certificate has expired by `now`. A full handshake has already
 * refused an expired certificate; a resumed session has not (OpenSSL keeps the verdict of
 * the handshake that made it), so the server asks at every connection.
 */
export function unexpired(result: IdentityResult, now: Date): IdentityResult {
  if (!result.ok || result.identity.notAfter.getTime() > now.getTime()) return result;
  return { ok: false, reason: 'client certificate expired', code: 'certificate_expired' };
}

/** A further check of an authenticated library (a revoked certificate): a reason to refuse, or undefined. */
export type Authorize = (identity: ClientIdentity) => string | undefined;

/** The identity, unless `authorize` refuses it; then the refusal, as any other bad certificate is. */
export function authorized(result: IdentityResult, authorize: Authorize | undefined): IdentityResult {
  if (!result.ok || !authorize) return result;
  const refusal = authorize(result.identity);
  return refusal === undefined ? result : { ok: false, reason: refusal, code: 'revoked' };
}

const FAILURES: Record<string, readonly [RefusalCode, string]> = {
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: ['no_certificate', 'no client certificate'],
  CERT_HAS_EXPIRED: ['certificate_expired', 'client certificate expired'],
  CERT_NOT_YET_VALID: ['certificate_not_yet_valid', 'client certificate not yet valid'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['unknown_ca', 'client certificate not issued by this appliance CA'],
  UNABLE_TO_GET_ISSUER_CERT: ['unknown_ca', 'client certificate not issued by this appliance CA'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ['unknown_ca', 'client certificate not issued by this appliance CA'],
  SELF_SIGNED_CERT_IN_CHAIN: ['unknown_ca', 'client certificate chains to an unknown CA'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['unknown_ca', 'client certificate is self-signed'],
  CERT_SIGNATURE_FAILURE: ['bad_signature', 'client certificate signature does not verify'],
  INVALID_PURPOSE: ['not_client_certificate', 'certificate not made for client use (extendedKeyUsage lacks clientAuth)'],
  ERR_SSL_UNSUPPORTED_PROTOCOL: ['tls_version', 'TLS version not allowed (1.2 or 1.3 only)'],
  ERR_SSL_NO_SHARED_CIPHER: ['no_shared_cipher', 'no shared cipher suite (ECDHE AEAD suites only)'],
  ERR_SSL_WRONG_VERSION_NUMBER: ['not_tls', 'not a TLS client (wrong version number)'],
  ERR_SSL_HTTP_REQUEST: ['not_tls', 'not a TLS client (plain HTTP)'],
  ERR_TLS_HANDSHAKE_TIMEOUT: ['handshake_timeout', 'handshake timeout'],
  ECONNRESET: ['client_closed', 'client closed the connection during the handshake'],
};

/** Node's handshake error and the socket's verify result, as a refusal code and one short phrase for the log. */
export function describeHandshakeFailure(errorCode: string | undefined, authorizationError: string | undefined): { code: RefusalCode; reason: string } {
  const key = authorizationError ?? errorCode ?? 'unknown';
  const known = FAILURES[key];
  return known ? { code: known[0], reason: known[1] } : { code: 'other', reason: key };
}
