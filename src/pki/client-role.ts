/**
 * What a client certificate lets its holder do, written into the certificate when it is
 * issued, so the key server learns it at the handshake with no table to keep in step:
 *
 * - `library`: a tape library (the Tape Library Profile): Create hands out the next key of
 *   its pre-generated set, under the backup-before-use rule;
 * - `general`: any other KMIP client (a database, a hypervisor): Create mints a key of what
 *   was asked, Register stores what was sent.
 *
 * The role travels as the subject's organizational unit. A certificate without one is a
 * library's, as every certificate issued before roles existed is.
 */
export const CLIENT_ROLES = ['library', 'general'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

const GENERAL_UNIT = 'qkm general client';

/** The organizational unit a certificate of this role carries (none for a library). */
export function unitOfRole(role: ClientRole): string | undefined {
  return role === 'general' ? GENERAL_UNIT : undefined;
}

export function roleOfUnit(unit: string | undefined): ClientRole {
  return unit === GENERAL_UNIT ? 'general' : 'library';
}

export function isClientRole(text: string): text is ClientRole {
  return (CLIENT_ROLES as readonly string[]).includes(text);
}
