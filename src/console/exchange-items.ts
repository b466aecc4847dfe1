/**
 * The menu's items for sharing encrypted tapes with another site: the encryption
 * certificates (ours out, a partner's in) and the key files (out for a partner, in from one).
 * They call the operations `cert export|import` and `keys export|import` call.
 */
import path from 'node:path';
import {
  type ExchangeScope,
  exportEncryptionCertificate,
  exportKeys,
  importKeys,
  importPartnerCertificate,
  importWarnings,
  pairExchange,
  partnerCertificates,
} from '../admin/key-exchange.js';
import { importReport, importWarningLines, partnerPeerLines } from '../cli/exchange-commands.js';
import { ExchangeError } from '../exchange/errors.js';
import { peerAddresses } from '../pair/settings.js';
import { pairSideOfConsole } from './pair-items.js';
import { auditConsole } from './console-audit.js';
import type { ConsoleScope } from './session.js';

const scopeOf = (s: ConsoleScope): ExchangeScope => ({
  dataDir: s.dataDir, serial: s.serial(), now: new Date(s.world.now()), log: s.log,
  ...pairExchange(pairSideOfConsole(s), peerAddresses(s.config)),
});
const day = (d: Date): string => d.toISOString().slice(0, 10);
const words = (line: string): string[] => line.split(/[\s,]+/).filter((w) => w !== '');

export async function encryptionCertificates(s: ConsoleScope): Promise<void> {
  const partners = partnerCertificates(scopeOf(s));
  s.say(partners.length === 0 ? 'No partner certificates are stored.' : 'Partner certificates:');
  for (const p of partners) s.say(`  ${p.name}  ${p.fingerprint.slice(0, 29)}...  until ${day(p.validTo)}${p.expired ? '  EXPIRED' : ''}`);
  const what = (await s.input.ask("e: export this server's certificate, i: import a partner's, Enter: back: ")).toLowerCase();
  if (what === 'e') {
    const file = await s.input.ask('File to write it to: ', path.join(s.dataDir, `qkm-encryption-${s.serial()}.pem`));
    const c = await exportEncryptionCertificate(scopeOf(s), { outFile: path.resolve(file) });
    auditConsole(s, 'encryption certificate exported', 'done', { file: c.outFile, fingerprint: c.fingerprint });
    s.say(`Wrote ${c.outFile}: this server's encryption certificate, valid until ${day(c.validTo)},`);
    s.say(`fingerprint ${c.fingerprint}.`);
    s.say('Send it to the partner, and tell its administrator the fingerprint by phone.');
  } else if (what === 'i') {
    const file = path.resolve(await s.input.ask("The partner's certificate file: "));
    const name = await s.input.ask('Name for this partner: ');
    const replace = partners.some((p) => p.name === name) && /^y(es)?$/i.test(await s.input.ask(`Replace the certificate stored for ${name}? [y/N] `));
    const p = await importPartnerCertificate(s.openEngine, scopeOf(s), { file, name, replace });
    auditConsole(s, 'partner certificate imported', 'done', { partner: p.name, fingerprint: p.fingerprint, replaced: p.replaced, ...(p.peers && { peers: p.peers }) });
    s.say(`${p.replaced ? 'Replaced' : 'Stored'} partner ${p.name}'s certificate, valid until ${day(p.validTo)},`);
    s.say(`fingerprint ${p.fingerprint}.`);
    for (const line of partnerPeerLines(p)) s.say(line);
    s.say("Check the fingerprint with the partner's administrator before exporting keys to it.");
  } else if (what !== '') {
    s.say(`"${what}" is not one of e or i; nothing was done.`);
  }
}

export async function shareTapes(s: ConsoleScope): Promise<void> {
  const what = (await s.input.ask('o: export keys, i: import keys, w: Import Warning Log, Enter: back: ')).toLowerCase();
  if (what === 'o') {
    const names = partnerCertificates(scopeOf(s)).map((p) => p.name);
    const partner = await s.input.ask(`Partner (${names.join(', ') || 'none stored yet'}): `);
    const tapes = words(await s.input.ask('Barcodes of the tapes (Enter to give key names instead): '));
    const keys = tapes.length > 0 ? [] : words(await s.input.ask('Key names: '));
    if (tapes.length === 0 && keys.length === 0) {
      throw new ExchangeError('EXCHANGE_NO_SELECTION', 'No barcode and no key name was given, so no key was exported.');
    }
    const file = await s.input.ask('File to write the keys to: ', path.join(s.dataDir, `keys-for-${partner}.json`));
    const r = await exportKeys(s.openEngine, scopeOf(s), { partner, selection: tapes.length > 0 ? { tapes } : { names: keys }, outFile: path.resolve(file) });
    auditConsole(s, 'keys exported', 'done', { partner: r.partner, fingerprint: r.fingerprint, file: r.outFile, keys: r.keys });
    s.say(`Wrote ${r.outFile}: ${r.keys.length} key(s) wrapped for partner ${r.partner}:`);
    for (const k of r.keys) s.say(`  ${k.name}${k.barcode === null ? '' : `  tape ${k.barcode}`}`);
    s.say('Send the file to the partner; only its key manager can open the keys.');
  } else if (what === 'i') {
    const file = path.resolve(await s.input.ask('The key file the partner sent: '));
    const library = await s.input.ask('Library here that reads those tapes: ');
    const r = await importKeys(s.openEngine, scopeOf(s), { file, library });
    auditConsole(s, 'keys imported', 'done', { file, library, imported: r.imported, refused: r.refused.length, sender: r.senderSerial, fingerprint: r.senderFingerprint });
    for (const line of importReport(r)) s.say(line);
  } else if (what === 'w') {
    const r = await importWarnings(s.openEngine, s);
    if (r.ticketsClosed > 0) auditConsole(s, 'import warning log read', 'done', { ticketsClosed: r.ticketsClosed });
    for (const line of importWarningLines(r)) s.say(line);
  } else if (what !== '') {
    s.say(`"${what}" is not one of o, i or w; nothing was done.`);
  }
}
