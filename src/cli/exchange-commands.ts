import type { Command } from 'commander';
import path from 'node:path';
import type { ExchangeScope, KeysImported } from '../admin/key-exchange.js';
import { ExchangeError } from '../exchange/errors.js';
import type { PartnerOffer } from '../pair/partner-share.js';
import { noteAudit } from './audited-command.js';
import type { Context } from './context.js';
import { engineOf, pairSide } from './command-engine.js';
import type { HwCommandDeps } from './hw-commands.js';
import { formatTable } from './table.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const day = (d: Date): string => d.toISOString().slice(0, 10);

/** The key exchange's operations, loaded when one runs: `keys status` need not load the PKI and the pair's client. */
const keyExchange = () => import('../admin/key-exchange.js');

/** The exchange operations, and this server's scope for them. */
async function exchangeFor(ctx: Context) {
  const [operations, { peerAddresses }] = await Promise.all([keyExchange(), import('../pair/settings.js')]);
  const scope: ExchangeScope = {
    dataDir: ctx.config.paths.data_dir, serial: ctx.serial, now: new Date(ctx.world.now()), log: ctx.log,
    ...operations.pairExchange(pairSide(ctx), peerAddresses(ctx.config)),
  };
  return { ...operations, scope };
}

/**
 * Sharing encrypted tapes with another site, the certificates: `cert export|import|partners`
 * (in the `certs` group, which `cert` also names).
 */
export function addCertExchangeCommands(certs: Command, deps: HwCommandDeps): void {
  certs
    .command('export')
    .description("write this server's encryption certificate, which a partner site wraps the keys it sends here with")
    .option('--out <file>', 'where to write it (default: standard output)')
    .action(deps.action(async (o: { out?: string }) => {
      const { exportEncryptionCertificate, scope } = await exchangeFor(deps.context());
      const c = await exportEncryptionCertificate(scope, { outFile: o.out === undefined ? undefined : path.resolve(o.out) });
      noteAudit({ fingerprint: c.fingerprint });
      const about = `this server's encryption certificate (fingerprint ${c.fingerprint}, valid until ${day(c.validTo)})`;
      if (c.outFile === undefined) {
        process.stdout.write(c.certPem);
        process.stderr.write(`That is ${about}.\n`);
        return;
      }
      out(`Wrote ${c.outFile}: ${about}.`);
      out('Send it to the partner site, and tell its administrator the fingerprint by another way (phone) to check it.');
    }));

  certs
    .command('import')
    .description("store a partner site's encryption certificate, to wrap the keys exported to it")
    .argument('<file>', 'the certificate the partner exported (PEM)')
    .requiredOption('--name <partner>', 'the name to know the partner by (letters, digits, dots, dashes, underscores)')
    .option('--replace', 'replace the certificate already stored under that name')
    .action(deps.action(async (file: string, o: { name: string; replace?: boolean }) => {
      const { importPartnerCertificate, scope } = await exchangeFor(deps.context());
      const p = await importPartnerCertificate(engineOf(deps.context), scope, { file: path.resolve(file), name: o.name, replace: o.replace });
      noteAudit({ partner: p.name, fingerprint: p.fingerprint, replaced: p.replaced, ...(p.peers && { peers: p.peers }) });
      out(`${p.replaced ? 'Replaced' : 'Stored'} the encryption certificate of partner ${p.name}: ${p.subject}, fingerprint ${p.fingerprint}, valid until ${day(p.validTo)}.`);
      for (const line of partnerPeerLines(p)) out(line);
      out(`Check the fingerprint with the partner's administrator before exporting keys to it (qkmcmds keys export --cert ${p.name} ...).`);
    }));

  certs
    .command('partners')
    .description("the partner sites' encryption certificates stored here")
    .option('--json', 'machine-readable output')
    .action(deps.action(async (o: { json?: boolean }) => {
      const ctx = deps.context();
      const { partnerCertificates } = await keyExchange();
      const list = partnerCertificates({ dataDir: ctx.config.paths.data_dir, now: new Date(ctx.world.now()) });
      if (o.json) return out(JSON.stringify(list.map((p) => ({ ...p, validTo: p.validTo.toISOString() })), null, 2));
      if (list.length === 0) return out('No partner certificates yet; store one with: qkmcmds cert import FILE --name PARTNER');
      for (const line of formatTable([['PARTNER', 'FINGERPRINT', 'VALID UNTIL', 'STATE'], ...list.map((p) => [p.name, p.fingerprint, day(p.validTo), p.expired ? 'expired' : 'valid'])])) out(line);
    }));
}

/** Sharing encrypted tapes with another site, the keys: `keys export|import|import-warnings`. */
export function addKeyExchangeCommands(keys: Command, deps: HwCommandDeps): void {
  const engine = engineOf(deps.context);
  keys
    .command('export')
    .description("write the keys of some tapes, each wrapped with a partner's encryption certificate and signed by this server, for the partner to read those tapes")
    .requiredOption('--cert <partner>', 'the partner, as "cert import --name" stored it')
    .option('--keys <names...>', 'the keys, by name')
    .option('--tapes <barcodes...>', 'the keys of these tapes, by barcode')
    .requiredOption('--out <file>', 'where to write the key file')
    .action(deps.action(async (o: { cert: string; keys?: string[]; tapes?: string[]; out: string }) => {
      if ((o.keys === undefined) === (o.tapes === undefined)) {
        throw new ExchangeError('EXCHANGE_NO_SELECTION', 'Give either --keys NAME... or --tapes BARCODE... to say which keys to export.');
      }
      const selection = o.keys !== undefined ? { names: o.keys } : { tapes: o.tapes! };
      const { exportKeys, scope } = await exchangeFor(deps.context());
      const r = await exportKeys(engine, scope, { partner: o.cert, selection, outFile: path.resolve(o.out) });
      noteAudit({ fingerprint: r.fingerprint, keys: r.keys });
      out(`Wrote ${r.outFile}: ${r.keys.length} key(s) wrapped for partner ${r.partner} (certificate ${r.fingerprint}), signed by this server.`);
      for (const k of r.keys) out(`  ${k.name}${k.barcode === null ? '' : `  tape ${k.barcode}`}`);
      out('Send the file to the partner; only its key manager can open the keys in it.');
    }));

  keys
    .command('import')
    .description('store the keys of a file a partner site sent (wrapped for this server), for a library here to read those tapes')
    .argument('<file>', 'the key file the partner exported')
    .requiredOption('--library <name>', 'the library here that reads the tapes (its certificate name)')
    .action(deps.action(async (file: string, o: { library: string }) => {
      const { importKeys, scope } = await exchangeFor(deps.context());
      const r = await importKeys(engine, scope, { file: path.resolve(file), library: o.library });
      noteAudit({ imported: r.imported, refused: r.refused.length, sender: r.senderSerial, fingerprint: r.senderFingerprint });
      for (const line of importReport(r)) out(line);
    }));

  keys
    .command('import-warnings')
    .description('the Import Warning Log: every key a key import refused, with the reason (closes the tickets that point to it)')
    .action(deps.action(async () => {
      const { importWarnings, scope } = await exchangeFor(deps.context());
      for (const line of importWarningLines(await importWarnings(engine, scope))) out(line);
    }));
}

/** The Import Warning Log as the terminal and the menu show it. */
export function importWarningLines(r: { file: string; lines: string[]; ticketsClosed: number }): string[] {
  if (r.lines.length === 0) return [`No key import has refused a key (${r.file} is empty).`];
  return [`${r.file}:`, ...r.lines, ...(r.ticketsClosed > 0 ? [`${r.ticketsClosed} ticket(s) pointing to this log are now closed.`] : [])];
}

/** Where a partner's certificate went besides this server, on a server of a pair (the menu console says the same). */
export function partnerPeerLines(p: { name: string; replaced: boolean; peers?: PartnerOffer }): string[] {
  const until = p.replaced ? `; until then it wraps the keys it exports to ${p.name} for the certificate this one replaced` : '';
  return [
    ...(p.peers?.stored ?? []).map((serial) => `Also stored on the peer server ${serial}: either server of the pair can export keys to ${p.name}.`),
    ...(p.peers?.missed ?? []).map((m) => (m.later
      ? `Not stored on the peer at ${m.peer} yet: ${m.why.replace(/\.$/, '')}. qkmd sends it there by itself as soon as the peer answers ("qkmcmds pair status" shows the link), and a ticket stays open until then${until}.`
      : `Not stored on the peer at ${m.peer}, which refused it: ${m.why.replace(/\.$/, '')}.${m.code === 'EXCHANGE_PARTNER_EXISTS' ? ` The peer keeps the certificate it holds under ${p.name}; if the one stored here is the partner's current one, import it here again with --replace to send it there.` : ''}`)),
  ];
}

/** What the administrator reads after an import (the menu console says the same). */
export function importReport(r: KeysImported): string[] {
  const from = r.partner === null ? `an unknown sender, server ${r.senderSerial}` : `partner ${r.partner}, server ${r.senderSerial}`;
  const held = r.alreadyHeld.length;
  const lines = r.imported.length === 0 && r.refused.length === 0
    ? [`All ${held} key(s) of the file from ${from} were already held here for library ${r.library} (imported before, here or on the pair's other server); nothing changed, and library ${r.library} may read those tapes.`]
    : [`Imported ${r.imported.length} key(s) for library ${r.library} from ${from} (certificate ${r.senderFingerprint}); library ${r.library} may read those tapes now.`,
      ...(held > 0 ? [`${held} more key(s) of the file were already held here for library ${r.library}; nothing changed for them.`] : [])];
  if (r.refused.length > 0) {
    lines.push(`Import warning: ${r.refused.length} key(s) were not imported; the Import Warning Log ${r.warningLog} lists each with the reason${r.ticket === null ? '' : ` (ticket ${r.ticket})`}:`);
    for (const x of r.refused.slice(0, 20)) lines.push(`  ${x.name ?? `entry ${x.index + 1}`}: ${x.reason} (${x.detail})`);
    if (r.refused.length > 20) lines.push(`  ... and ${r.refused.length - 20} more in the log.`);
  }
  return lines;
}
