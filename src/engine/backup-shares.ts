import { createHash } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { BackupError } from '../errors.js';

/**
 * M-of-N recovery shares of the backup key's private key, as text an administrator can
 * print, file apart and type back:
 *
 *   qkm1-<key id>-<M>of<N>-<x>-<8 groups of 8 hex digits>-<check>
 *
 * The Shamir arithmetic (GF(256)) is the audited shamir-secret-sharing package. The check
 * value (32 bits of SHA-256 over everything before it) catches a mistyped character before
 * the shares are combined, so a typo is named as such rather than as "wrong shares".
 */
const PREFIX = 'qkm1';
const SHARE_RE = /^qkm1-([0-9a-f]{8})-(\d{1,3})of(\d{1,3})-([0-9a-f]{2})-((?:[0-9a-f]{8}-){8})([0-9a-f]{8})$/;
export const MAX_SHARES = 255;

export interface ShareSpec { threshold: number; count: number }

/** "2-of-3" (or "2of3", "2/3") as the administrator types it. */
export function parseShareSpec(text: string): ShareSpec {
  const m = /^\s*(\d{1,3})\s*(?:-?of-?|\/)\s*(\d{1,3})\s*$/i.exec(text);
  const threshold = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || threshold < 2 || count < threshold || count > MAX_SHARES) {
    throw new BackupError('BAD_SHARE_SPEC', `"${text}" is not a share count; give M-of-N with 2 <= M <= N <= ${MAX_SHARES}, for example --shares 2-of-3.`, { params: { spec: text, max: MAX_SHARES } });
  }
  return { threshold, count };
}

function checkValue(id: string, spec: ShareSpec, x: string, data: string): string {
  return createHash('sha256').update(`qkm share check v1|${id}|${spec.threshold}|${spec.count}|${x}|${data}`).digest('hex').slice(0, 8);
}

function formatShare(id: string, spec: ShareSpec, share: Uint8Array): string {
  const bytes = Buffer.from(share);
  // The package puts the share's x coordinate in its last byte.
  const x = bytes.subarray(bytes.length - 1).toString('hex');
  const data = bytes.subarray(0, bytes.length - 1).toString('hex');
  const groups = data.match(/.{8}/g)!.join('-');
  return `${PREFIX}-${id}-${spec.threshold}of${spec.count}-${x}-${groups}-${checkValue(id, spec, x, data)}`;
}

/** Splits a 32-byte secret into shares named by the backup key's id. */
export async function splitSecret(secret: Buffer, id: string, spec: ShareSpec): Promise<string[]> {
  // The package insists on a plain Uint8Array (a Buffer is refused).
  const shares = await split(new Uint8Array(secret), spec.count, spec.threshold);
  return shares.map((s) => formatShare(id, spec, s));
}

interface ParsedShare { id: string; spec: ShareSpec; bytes: Uint8Array }

function parseShare(text: string, position: number): ParsedShare {
  const t = text.replace(/\s+/g, '').toLowerCase();
  const m = SHARE_RE.exec(t);
  if (!m) throw new BackupError('SHARE_MALFORMED', `Share ${position} is not a qkm recovery share (they read qkm1-<key>-<M>of<N>-...); type it again exactly as it was printed.`, { params: { position } });
  const [, id, threshold, count, x, grouped, check] = m as unknown as [string, string, string, string, string, string, string];
  const spec = { threshold: Number(threshold), count: Number(count) };
  const data = grouped.replace(/-/g, '');
  if (checkValue(id, spec, x, data) !== check) {
    throw new BackupError('SHARE_MISTYPED', `Share ${position} has a typing mistake (its check value does not match the rest of it); type it again exactly as it was printed.`, { params: { position } });
  }
  return { id, spec, bytes: new Uint8Array(Buffer.from(data + x, 'hex')) };
}

/**
 * Rebuilds the secret from shares of the key `id` (M of N). Typos, shares of another key,
 * a share given twice and too few shares are each refused by name; shares that are
 * well-formed but wrong rebuild a wrong secret, which the caller detects (public key).
 */
export async function combineShares(texts: readonly string[], id: string, spec: ShareSpec): Promise<Buffer> {
  const parsed = texts.map((t, i) => parseShare(t, i + 1));
  const seen = new Map<string, number>();
  parsed.forEach((p, i) => {
    if (p.id !== id) {
      throw new BackupError('SHARE_OTHER_KEY', `Share ${i + 1} belongs to backup key ${p.id}, but this backup is sealed to backup key ${id}; give shares printed for key ${id}.`, { params: { position: i + 1, shareKeyId: p.id, keyId: id } });
    }
    // Shares are points of one polynomial: two with the same x are the same share, or one was altered.
    const x = Buffer.from(p.bytes.subarray(-1)).toString('hex');
    const twin = seen.get(x);
    if (twin !== undefined) throw new BackupError('SHARE_REPEATED', `Share ${i + 1} is the same share as share ${twin} (or one of them was altered); give ${spec.threshold} different shares.`, { params: { position: i + 1, sameAs: twin, threshold: spec.threshold } });
    seen.set(x, i + 1);
  });
  if (parsed.length < spec.threshold) {
    throw new BackupError('SHARES_TOO_FEW', `Backup key ${id} needs ${spec.threshold} of its ${spec.count} shares, but ${parsed.length} ${parsed.length === 1 ? 'was' : 'were'} given; give ${spec.threshold} different shares.`, { params: { keyId: id, threshold: spec.threshold, count: spec.count, given: parsed.length } });
  }
  return Buffer.from(await combine(parsed.map((p) => p.bytes)));
}
