import type { ClientRole } from '../pki/client-role.js';
import {
  type CertificateRecord,
  type CertificateState,
  type KeyType,
  type LibraryBundle,
  type RevokeResult,
  type RevokeTarget,
  listCertificates,
  revokeCertificates,
  stateOf,
  tlsDirOf,
  writeLibraryBundle,
} from '../pki/index.js';
import type { Logger } from '../logs/logger.js';
import { PairRegistry } from '../pair/registry.js';

/** What every certificate operation needs: the data directory, the time, and the audit log. */
export interface CertsScope {
  dataDir: string;
  now: Date;
  log: Logger;
}

/**
 * `certs library-bundle`: a new client certificate for the library, written with its key to
 * `outFile` (an absolute path); its key RSA unless `keyType` says ecdsa.
 */
export async function issueLibraryBundle(s: CertsScope, o: { library: string; outFile: string; role?: ClientRole; keyType?: KeyType }): Promise<LibraryBundle> {
  // On a pair, the library trusts both key servers, and the peer accepts this certificate.
  const peerCas = new PairRegistry(s.dataDir).peerCas();
  const b = await writeLibraryBundle({ tlsDir: tlsDirOf(s.dataDir), library: o.library, outFile: o.outFile, now: s.now, peerCas, keyType: o.keyType, ...(o.role !== undefined && { role: o.role }) });
  if (b.leftoversRemoved > 0) s.log.warn({ removed: b.leftoversRemoved }, 'removed leftovers of killed library bundles (each held a private key)');
  s.log.info({ library: b.library, role: o.role ?? 'library', serial: b.serialNumber, fingerprint: b.fingerprint256, keyType: b.keyType, alreadyValid: b.alreadyValid.length }, 'library certificate issued');
  return b;
}

/** One certificate of `certs list`, its state judged now (the shape of `--json`). */
export interface CertificateRow {
  library: string | null;
  /** null when known only by its revocation. */
  role: ClientRole | null;
  serial: string;
  issued: string | null;
  expires: string | null;
  state: CertificateState;
  revokedAt: string | null;
  /** False when known only by its revocation (issued before the register kept copies). */
  registered: boolean;
}

/** `certs list`: every certificate in the register, or one library's, with its state now. */
export function libraryCertificates(s: Omit<CertsScope, 'log'>, o: { library?: string } = {}): { record: CertificateRecord; row: CertificateRow }[] {
  return listCertificates(tlsDirOf(s.dataDir))
    .filter((r) => o.library === undefined || r.library === o.library)
    .map((r) => ({
      record: r,
      row: {
        library: r.library ?? null,
        role: r.role ?? null,
        serial: r.serial,
        issued: r.issued?.toISOString() ?? null,
        expires: r.expires?.toISOString() ?? null,
        state: stateOf(r, s.now),
        revokedAt: r.revokedAt?.toISOString() ?? null,
        registered: r.registered,
      },
    }));
}

/** `certs revoke`: one certificate by serial, or all of a library's; the running key server refuses them from its next connection. */
export function revokeLibraryCertificates(s: CertsScope, target: RevokeTarget): RevokeResult {
  const r = revokeCertificates(tlsDirOf(s.dataDir), target, s.now);
  for (const c of r.revoked) s.log.warn({ library: c.library, serial: c.serial, registered: c.registered }, 'library certificate revoked');
  return r;
}
