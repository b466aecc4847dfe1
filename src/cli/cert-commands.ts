import type { Command } from 'commander';
import path from 'node:path';
import { type CertsScope, issueLibraryBundle, libraryCertificates, revokeLibraryCertificates } from '../admin/certs.js';
import { CertificateError, parseKeyType, stateOf, type CertificateRecord } from '../pki/index.js';
import { isClientRole } from '../pki/client-role.js';
import type { Context } from './context.js';
import type { HwCommandDeps } from './hw-commands.js';
import { noteAudit } from './audited-command.js';
import { formatTable } from './table.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
/** ISO 8601 to the second: what an administrator compares with a library's display. */
const when = (d: Date | undefined): string => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : 'unknown');
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const describe = (r: CertificateRecord): string => `certificate ${r.serial}${r.library === undefined ? '' : ` of library ${r.library}`}`;
const scopeOf = (ctx: Context): CertsScope => ({ dataDir: ctx.config.paths.data_dir, now: new Date(ctx.world.now()), log: ctx.log });

/** `qkmcmds certs ...`: the appliance's "TLS certificates" for the tape libraries. */
export function addCertCommands(program: Command, deps: HwCommandDeps): Command {
  const certs = program.command('certs').alias('cert').description("TLS certificates for the tape libraries, and the encryption certificates of sharing tapes with other sites");
  certs
    .command('library-bundle')
    .description('write the .tgz a library imports: the CA certificate and its own client certificate and key')
    .requiredOption('--library <name>', 'the library; its certificate names it, and its keys are its own')
    .requiredOption('--out <file>', 'where to write the .tgz (owner-only)')
    .option('--role <role>', 'library: a tape library (Create hands out its set\'s keys); general: any KMIP client (Create makes the key asked for, Register stores what is sent)', 'library')
    .option('--key-type <type>', "the certificate's key: rsa (every library takes it) or ecdsa (P-256, a cheaper handshake, where the library takes it)", 'rsa')
    .action(deps.action(async (o: { library: string; out: string; role: string; keyType: string }) => {
      if (!isClientRole(o.role)) {
        throw new CertificateError('CERT_BAD_ROLE', `"${o.role}" is not a role: give --role library for a tape library or --role general for any other KMIP client.`, { params: { role: o.role } });
      }
      const keyType = parseKeyType(o.keyType);
      const b = await issueLibraryBundle(scopeOf(deps.context()), { library: o.library, outFile: path.resolve(o.out), role: o.role, keyType });
      noteAudit({ serial: b.serialNumber, fingerprint: b.fingerprint256, notAfter: b.notAfter, role: o.role, keyType: b.keyType });
      out(`Wrote ${b.outFile} for ${o.role === 'general' ? 'general client' : 'library'} ${b.library} (${b.keyType === 'ecdsa' ? 'ECDSA P-256' : 'RSA'} certificate ${b.serialNumber}, fingerprint ${b.fingerprint256}, valid until ${when(b.notAfter)}).`);
      out('Import it on the library; the private key in it is not kept on this server.');
      if (b.alreadyValid.length === 0) {
        out(`It is the only valid certificate of library ${b.library}.`);
      } else {
        out(`Library ${b.library} already has ${plural(b.alreadyValid.length, 'other valid certificate')} (${b.alreadyValid.map((r) => r.serial).join(', ')}); ` +
          'once the library uses the new one, revoke the old with: qkmcmds certs revoke --serial SERIAL');
      }
    }));

  certs
    .command('list')
    .description('per library: each certificate issued, its serial, issue and expiry dates, and whether it is revoked')
    .option('--library <name>', 'only this library')
    .option('--json', 'machine-readable output')
    .action(deps.action((o: { library?: string; json?: boolean }) => {
      const scope = scopeOf(deps.context());
      const now = scope.now;
      const found = libraryCertificates(scope, { library: o.library });
      if (o.json) return out(JSON.stringify(found.map((c) => c.row), null, 2));
      const records = found.map((c) => c.record);
      if (records.length === 0) {
        return out(`No library certificates${o.library ? ` for ${o.library}` : ''} yet; make one with: qkmcmds certs library-bundle --library NAME --out FILE`);
      }
      const state = (r: CertificateRecord) => (r.revokedAt ? `revoked ${when(r.revokedAt)}` : stateOf(r, now));
      const table = [['LIBRARY', 'ROLE', 'SERIAL', 'ISSUED', 'EXPIRES', 'STATE'], ...records.map((r) => [r.library ?? '(unknown)', r.role ?? '(unknown)', r.serial, when(r.issued), when(r.expires), state(r)])];
      for (const line of formatTable(table)) out(line);
    }));

  certs
    .command('revoke')
    .description('revoke a library certificate (by serial) or all of a library\'s; the running key server refuses it from the next connection')
    .option('--serial <serial>', 'the certificate\'s serial, as "certs list" shows it')
    .option('--library <name>', 'revoke every certificate of this library')
    .action(deps.action((o: { serial?: string; library?: string }) => {
      if ((o.serial === undefined) === (o.library === undefined)) {
        throw new CertificateError('CERT_REVOKE_TARGET', 'Give either --serial SERIAL or --library NAME to say which certificates to revoke ("qkmcmds certs list" shows them).');
      }
      const target = o.serial !== undefined ? { serial: o.serial } : { library: o.library! };
      const r = revokeLibraryCertificates(scopeOf(deps.context()), target);
      noteAudit({ revoked: r.revoked.map((c) => c.serial), already: r.already.map((c) => c.serial) });
      for (const c of r.revoked) {
        out(`Revoked ${describe(c)}: the key server refuses it from its next connection.`);
        if (!c.registered) out(`(Serial ${c.serial} is not in the register of issued certificates: it was issued before the register kept copies, or the serial is mistyped; check it with "qkmcmds certs list".)`);
      }
      for (const c of r.already) out(`The ${describe(c)} was already revoked (${when(c.revokedAt)}).`);
    }));
  return certs;
}
