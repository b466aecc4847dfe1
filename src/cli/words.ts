/**
 * The terminal's words: where the advice is a command, the terminal names the `qkmcmds`
 * command line to run. Everything else is shown with the neutral message of the error
 * or the stored text of the ticket.
 */
import { type ErrorWords, type QkmError, sentenceOf, withTicket } from '../errors.js';
import { type TicketWords, type Wordable, pendingOfferSentence, refusedOfferSentence, ticketText } from '../ras/ticket-catalogue.js';
import type { Ticket } from '../ras/tickets.js';
import { diskTroubleOf, diskTroubleWords } from '../util/disk-errors.js';
import { parseDriveId } from '../hardware/update-drives.js';

/** How the terminal's user checks the disks. */
const CHECK_DISKS = 'qkmcmds hw status';

const generate = (library: string, keyClass: string) => `"qkmcmds keys generate --library ${library} --class ${keyClass}"`;

/** How the terminal lists the drives a --drive may name. */
const driveList = (drives: string[]) => (drives.length === 0 ? 'this box has none qkmd can read' : `this box has ${drives.join(' and ')}`);

const ERROR_WORDS: ErrorWords = {
  UPDATE_DRIVE_UNKNOWN: (p) => parseDriveId(p.drive)
    ? `There is no drive ${p.drive} to read the update from (${driveList(p.drives)}); plug the drive in, or name another with --drive ("qkmcmds hw status" shows the USB ports).`
    : `"${p.drive}" is not a drive: give --drive builtin for the appliance's own CD drive, or --drive usb:PORT for a CD/DVD drive on a USB port ("qkmcmds hw status" shows the ports).`,
  UPDATE_DRIVE_CHOICE: (p) => `More than one drive holds a disc (${p.drives.join(', ')}), so nothing was read or changed; choose one with ${p.drives.map((d) => `--drive ${d}`).join(' or ')}.`,
  CAPTURE_UNREADABLE: (p) => `${p.path} cannot be read as a log capture (${p.reason}); give the capture's folder or its .tgz, as "qkmcmds -L" writes it.`,
  CAPTURE_EMPTY: (p) => `${p.path} holds no RAID or disk reading that can be used (${p.reasons}); take a new capture with "qkmcmds -L" on the appliance.`,
  NO_KEY_SET: (p, neutral) => p.tape === undefined
    ? neutral
    : withTicket(p, `Library ${p.library} has no key set on this server; generate one with ${generate(p.library, 'i500|i2000')}, then take a backup.`),
  NEEDS_SYNC: (p) => withTicket(p, `Library ${p.library} must be synchronised after the restore before new keys are handed out; run "qkmcmds sync --last-key NAME" with the last key the library used.`),
  KEYS_EXHAUSTED: (p) => withTicket(p, `Library ${p.library} has no unused keys left on this server; generate a new set with ${generate(p.library, p.keyClass)}, then take a backup.`),
  KEYS_PENDING_BACKUP: (p) => withTicket(p, `The keys of library ${p.library} are not in any backup yet; run "qkmcmds backup" before they are used.`),
  KEY_RECORD_DAMAGED: (p) => `The stored key ${p.key} fails its integrity check; run "qkmcmds check", then restore from a backup.`,
  ATTRIBUTE_STORE_DAMAGED: (p) => `A stored attribute has the unknown type ${JSON.stringify(p.type)}; run "qkmcmds check".`,
  KEYSTORE_UNREADABLE: (p) => `The keystore database ${p.file} cannot be opened (${p.reason}); run qkmcmds check, or restore from a backup.`,
  KEYSTORE_NOT_KEPT: (p) => `There is no kept-aside keystore named ${p.name} in ${p.dataDir}; "qkmcmds keystores" lists them.`,
  MASTER_KEY_MISSING: (p) => `The master key ${p.file} is missing; restore the keystore from a backup (qkmcmds restore).`,
  BACKUP_UNREADABLE: (p, neutral) => p.notQkm ? `${p.file} is not a qkm backup; give the QKMApp and QKMData files written by "qkmcmds backup".` : neutral,
  BACKUP_KEY_WRONG: (p, neutral) => p.wrongPassphrase
    ? `That passphrase does not open backup key ${p.keyId}, to which this backup is sealed; give the passphrase chosen for key ${p.keyId} at "qkmcmds backup-key init".`
    : neutral,
  BACKUP_KEY_DAMAGED: (p) => `${p.file} is damaged; restore it from a copy, or set up a new backup key with "qkmcmds backup-key init --replace".`,
  BACKUP_KEY_MISSING: () => 'No backup key is set up, and without one a backup would hold the master key in clear; set one up once with "qkmcmds backup-key init --shares 2-of-3" (or --passphrase), then back up again.',
  KEYSTORE_DISK: (p) => diskTroubleWords(p, CHECK_DISKS),
  BACKUP_DISK: (p) => diskTroubleWords(p, CHECK_DISKS),
  CERT_REGISTER_WRITE: (p, neutral) => ('trouble' in p ? diskTroubleWords(p, CHECK_DISKS) : neutral),
  AUDIT_WRITE: (p) => `The audit log ${p.file} cannot be written (${p.reason}), so this action is not recorded; fix the disk (${CHECK_DISKS}), then check what the action did before you run it again.`,
  CERT_BAD_SERIAL: (p) => `"${p.serial}" is not a certificate serial: give the hexadecimal serial that "qkmcmds certs list" shows.`,
  CERT_BAD_KEY_TYPE: (p) => `"${p.keyType}" is not a certificate key type: give --key-type rsa (every library takes it) or --key-type ecdsa (a P-256 key, for a library whose TLS takes one).`,
  CERT_NONE_FOR_LIBRARY: (p) => `The register holds no certificate of library ${p.library} ("qkmcmds certs list" shows those it holds); revoke an older one by its serial.`,
  EXCHANGE_PARTNER_UNKNOWN: (p) => `No partner named ${p.name} is stored ("qkmcmds cert partners" lists them); store its encryption certificate with "qkmcmds cert import FILE --name ${p.name}".`,
  EXCHANGE_PARTNER_EXISTS: (p, neutral) => `${neutral.replace(/; choose another name, or replace it\.$/, '')}; choose another name, or replace it with "qkmcmds cert import FILE --name ${p.name} --replace".`,
  EXCHANGE_NO_CERT: () => 'This server has no encryption certificate yet, so no key file can have been made for it; run "qkmcmds cert export --out FILE", send that file to the partner and ask for a key file made for it.',
  STATUS_TOKEN_EXISTS: (p) => `A viewer token named ${p.name} exists already; choose another name, or revoke that one first with "qkmcmds status-token revoke ${p.name}".`,
  STATUS_TOKEN_UNKNOWN: (p) => `There is no viewer token with the id or name ${p.token}; nothing was revoked ("qkmcmds status-token list" shows them).`,
  EXCHANGE_WRONG_RECIPIENT: (p) => `${p.file} was made for the encryption certificate ${p.fingerprint}, not for this server's (${p.ours}); send the partner this server's certificate ("qkmcmds cert export --out FILE") and ask for a new file.`,
};

const TICKET_WORDS: TicketWords = {
  'no-key-set': (p) => `Library ${p.library} asked for a key to write a tape, but has no key set on this server; generate one with ${generate(p.library, 'i500|i2000')}, then take a backup.`,
  'backup-needed': (p) => p.stored
    ? `Keys were stored for client ${p.library} that no backup holds yet; run "qkmcmds backup" and copy both files off the server.`
    : p.waiting
    ? `Library ${p.library} is waiting for keys that no backup holds yet; run "qkmcmds backup" and copy both files off the server.`
    : `New keys were generated for library ${p.library} and no backup holds them yet; run "qkmcmds backup" and copy both files off the server before the keys can be used.`,
  'sync-needed': (p) => `The keystore was restored from a backup; library ${p.library} gets no new keys until it is synchronised: run "qkmcmds sync --from-peer" on a server of a pair (qkmd does it by itself at start when its peer answers), else "qkmcmds sync --last-key NAME" with the name of the last key the library used ("--none-used ${p.library}" if it shows none).`,
  'keys-depleted': (p) => `Library ${p.library} has used ${p.used} of its ${p.total} keys on this server (${p.percent} % or more); generate a new set with ${generate(p.library, p.keyClass)}, then take a backup.`,
  'keys-exhausted': (p) => `Library ${p.library} has no unused keys left on this server and cannot encrypt new tapes here; generate a new set now with ${generate(p.library, p.keyClass)}, then back up both servers.`,
  'partner-offer-pending': (p) => `${pendingOfferSentence(p)} qkmd sends it by itself as soon as the peer answers on the pair link ("qkmcmds pair status" shows the link).`,
  'partner-offer-refused': (p) => `${refusedOfferSentence(p)} Ask the partner's administrator which certificate is its current one, and import it here with "qkmcmds cert import FILE --name ${p.partner} --replace": it is sent to the peer.`,
};

/** The sentence the terminal prints for an error. */
export function terminalSentence(e: QkmError): string {
  return sentenceOf(e, ERROR_WORDS);
}

/** The terminal's sentence for disk trouble under any failure (a full disk, an I/O error, ...), if there is some. */
export function terminalDiskSentence(e: unknown, fallbackPath: string | undefined): string | undefined {
  const t = diskTroubleOf(e, fallbackPath);
  return t && diskTroubleWords(t, CHECK_DISKS);
}

/** A ticket as the terminal shows it (and `tickets --json` prints it): the terminal's words as its text, no kind or parameters. */
export function terminalTicket({ kind, params, ...shown }: Ticket): Omit<Ticket, 'kind' | 'params'> {
  return { ...shown, text: terminalTicketText({ text: shown.text, kind, params }) };
}

/** The text the terminal shows for a ticket (of the keystore, or of `hw status`). */
export function terminalTicketText(t: Wordable): string {
  return ticketText(t, TICKET_WORDS);
}
