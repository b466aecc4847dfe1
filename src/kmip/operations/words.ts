/**
 * The Result Message's words, for the operator of a tape library: they cannot run the
 * key manager's commands, so where the remedy is the administrator's, they are told to
 * ask for it. Codes without words here are sent with the error's neutral message.
 */
import { type ErrorWords, withTicket } from '../../errors.js';

const ASK = "ask the key manager's administrator to";

export const KMIP_WORDS: ErrorWords = {
  NO_KEY_SET: (p) => withTicket(p, `Library ${p.library} has no key set on this server; ${ASK} generate keys for this library and back them up.`),
  NEEDS_SYNC: (p) => withTicket(p, `Library ${p.library} gets no new keys until it is synchronised after the keystore was restored; a server of a pair does this by itself once it reaches the other server, otherwise ${ASK} synchronise it with the name of the last key this library used.`),
  PEER_DID_NOT_STORE: (p) => `The other key server of the pair did not store its copy of library ${p.library}'s new keys within ${p.seconds} s, so they were taken back; ask again later (disable and enable encryption), and ${ASK} check the link between the two key servers.`,
  KEYS_EXHAUSTED: (p) => withTicket(p, `Library ${p.library} has no unused keys left on this server; ${ASK} generate a new set of keys for this library and back them up.`),
  KEYS_PENDING_BACKUP: (p) => withTicket(p, `The keys of library ${p.library} are not in any backup yet; ${ASK} back up the keystore, then write the tape again.`),
  KEY_RECORD_DAMAGED: (p) => `The stored key ${p.key} fails its integrity check; ${ASK} check the keystore and restore it from a backup.`,
  AUDIT_WRITE: () => `The key server cannot write its audit log; ${ASK} check its disks.`,
  AUDIT_BUSY: () => `The key server's audit log is busy; try again in a moment, or ${ASK} check the key server if it stays busy.`,
  ATTRIBUTE_STORE_DAMAGED: () => `A stored attribute of this object is damaged; ${ASK} check the keystore.`,
  // Updates are the administrator's at the box; a library's operator only hears whom to ask.
  UPDATE_DRIVE_UNKNOWN: () => `The key manager's software update names a drive it does not have; ${ASK} choose the drive holding the update CD.`,
  UPDATE_DRIVE_CHOICE: () => `The key manager has update CDs in more than one drive; ${ASK} choose the drive to read.`,
  UPDATE_DRIVE_UNPLUGGED: () => `The key manager's USB CD/DVD drive was unplugged during a software update, which changed nothing; ${ASK} plug it in and run the update again.`,
};
