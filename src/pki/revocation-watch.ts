import { statSync } from 'node:fs';
import { normalizeSerial, revokedSerials } from './register.js';

/**
 * A directory's mtime moves only at the kernel's timestamp granularity (a few ms), so a
 * revocation made within that long after a read may leave it unchanged: while the folder
 * changed this recently, it is read again at the next check instead of trusted.
 */
const RACY_MS = 2000;

/**
 * What a running qkmd knows of the revocations in `<tls>/revoked`. Each handshake asks
 * afresh (one stat of the folder; it is read only when it changed), so a certificate
 * revoked by `qkmcmds certs revoke` is refused from the next connection on, without a
 * restart. A request on a connection already open asks at most every `maxAgeMs`, which
 * keeps the stat out of the per-request cost.
 *
 * Chosen over OpenSSL's CRL check (the `crl` option and setSecureContext): that needs a CRL
 * signed on every revocation (node-forge cannot make one), a watcher to reload the context,
 * and makes every handshake depend on a current CRL, so a damaged or stale one would lock
 * every library out.
 */
export class RevocationWatch {
  private serials = new Set<string>();
  private signature = '';
  private racy = true;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private lastError = '';

  constructor(
    private readonly revokedDir: string,
    private readonly now: () => number,
    /** Told when the folder cannot be read; the revocations known until then stay in force. */
    private readonly onError: (err: unknown) => void,
  ) {}

  /** True when `serial` is revoked; looks at the folder unless it did within `maxAgeMs`. */
  isRevoked(serial: string, maxAgeMs = 0): boolean {
    if (maxAgeMs <= 0 || this.now() - this.checkedAt >= maxAgeMs) this.refresh();
    return this.serials.has(normalizeSerial(serial) ?? serial);
  }

  private refresh(): void {
    const now = this.now();
    this.checkedAt = now;
    try {
      let signature = 'absent';
      let mtimeMs = 0;
      try {
        const st = statSync(this.revokedDir, { bigint: true });
        signature = `${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
        mtimeMs = Number(st.mtimeNs / 1_000_000n);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (signature === this.signature && !this.racy) return;
      this.serials = signature === 'absent' ? new Set() : revokedSerials(this.revokedDir);
      this.signature = signature;
      this.racy = Math.abs(now - mtimeMs) < RACY_MS;
      this.lastError = '';
    } catch (err) {
      const message = String((err as Error)?.message ?? err);
      if (message !== this.lastError) this.onError(err);
      this.lastError = message;
    }
  }
}
