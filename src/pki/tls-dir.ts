import { join } from 'node:path';

/** Where each credential lives inside the appliance's TLS folder (`<dataDir>/tls`). */
/** Where a data directory keeps the appliance CA and the register of library certificates. */
export const tlsDirOf = (dataDir: string): string => join(dataDir, 'tls');

export function tlsPaths(tlsDir: string) {
  return {
    caCert: join(tlsDir, 'ca.pem'),
    caKey: join(tlsDir, 'ca.key'),
    serverCert: join(tlsDir, 'server.pem'),
    serverKey: join(tlsDir, 'server.key'),
    /** The ECDSA P-256 twin of server.pem, offered to clients that sign with ECDSA (a cheaper handshake). */
    serverEcdsaCert: join(tlsDir, 'server-ecdsa.pem'),
    serverEcdsaKey: join(tlsDir, 'server-ecdsa.key'),
    /** The status page's own certificate (src/web), so the key server's never leaves for a browser. */
    webCert: join(tlsDir, 'web.pem'),
    webKey: join(tlsDir, 'web.key'),
    /** This server's certificate on the pair link, which the peer pins at pairing. */
    pairCert: join(tlsDir, 'pair.pem'),
    pairKey: join(tlsDir, 'pair.key'),
    /** The certificate partner sites wrap the keys they send us with, and its private key (never leaves the box). */
    encryptionCert: join(tlsDir, 'encryption.pem'),
    encryptionKey: join(tlsDir, 'encryption.key'),
    /** Copies (certificate only) of every library certificate issued, for audit and revocation. */
    issued: join(tlsDir, 'issued'),
    /** One file per revoked certificate, named by its serial; qkmd reads it at every handshake. */
    revoked: join(tlsDir, 'revoked'),
  };
}

export type TlsPaths = ReturnType<typeof tlsPaths>;

/** Certificates may be world-readable; keys are for the service account alone. */
export const CERT_MODE = 0o644;
export const KEY_MODE = 0o600;
export const DIR_MODE = 0o700;
