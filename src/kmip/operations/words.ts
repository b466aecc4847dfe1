/**
 * The Result Message's words, for the operator of a tape library: they cannot run the
 * key manager's commands, so where the remedy is the administrator's, they are told to
 * ask for it. Codes without words here are sent with the error's neutral message.
 */
import { type ErrorWords, withTicket } from '../../errors.js';

const ASK = "ask the key manager's administrator to";

export const KMIP_WORDS: ErrorWords = {
  NO_KEY_SET: (p) => withTicket(p, `Library ${p.library} has no key set on this server; ${ASK} generate keys for this library and back them up.`),
  NEEDS_SYNC: (p) => withTicket(p, `Library ${p.library} gets no new keys until it is synchronised after the keystore was restored; ${ASK} synchronise it with the name of the last key this library used.`),
  KEYS_EXHAUSTED: (p) => withTicket(p, `Library ${p.library} has no unused keys left on this server; ${ASK} generate a new set of keys for this library and back them up.`),
  KEYS_PENDING_BACKUP: (p) => withTicket(p, `The keys of library ${p.library} are not in any backup yet; ${ASK} back up the keystore, then write the tape again.`),
  KEY_RECORD_DAMAGED: (p) => `The stored key ${p.key} fails its integrity check; ${ASK} check the keystore and restore it from a backup.`,
  AUDIT_WRITE: () => `The key server cannot write its audit log; ${ASK} check its disks.`,
  AUDIT_BUSY: () => 'The key server\'s audit log is busy; try again in a moment.',
  ATTRIBUTE_STORE_DAMAGED: () => `A stored attribute of this object is damaged; ${ASK} check the keystore.`,
};
