/**
 * Key names. A tape carries only the name of its key, so a name must never mean two
 * keys anywhere in the world. The format is
 *
 *     <serial>-<set nonce: 16 hex digits>-<index in set: 6 digits>
 *
 * - serial: the appliance's serial number, unique per manufactured server;
 * - set nonce: 64 random bits drawn when the set is generated, so that two servers
 *   that somehow share a serial (a replacement restored from a backup, a simulator)
 *   still differ: two sets collide only if their nonces do, with probability about
 *   n^2 / 2^65 for n sets ever generated (below 1e-9 for 190 million sets);
 * - index: the key's position in its set, so names within a set are distinct by
 *   construction. The keystore's UNIQUE index on names turns even the impossible
 *   case into a refused transaction rather than a shared key.
 */
export const KEY_NAME_PATTERN = /^[A-Z0-9]{4,20}-[0-9a-f]{16}-\d{6}$/;

export function keyName(serial: string, nonce: string, index: number): string {
  return `${serial}-${nonce}-${String(index).padStart(6, '0')}`;
}

export const LIBRARY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Barcodes / volsers: printable ASCII without spaces, as tape labels are. */
export const TAPE_PATTERN = /^[\x21-\x7e]{1,32}$/;
