import type { Command } from 'commander';
import path from 'node:path';
import { writeLibraryBundle } from '../kmip/certs/index.js';
import type { Context } from './context.js';
import type { HwCommandDeps } from './hw-commands.js';

export const tlsDirOf = (ctx: Context): string => path.join(ctx.config.paths.data_dir, 'tls');

/** `qkmcmds certs ...`: the appliance's "TLS certificates" file for a tape library. */
export function addCertCommands(program: Command, deps: HwCommandDeps): void {
  const certs = program.command('certs').description('TLS certificates for the tape libraries');
  certs
    .command('library-bundle')
    .description('write the .tgz a library imports: the CA certificate and its own client certificate and key')
    .requiredOption('--library <name>', 'the library; its certificate names it, and its keys are its own')
    .requiredOption('--out <file>', 'where to write the .tgz (owner-only)')
    .action(deps.action(async (o: { library: string; out: string }) => {
      const ctx = deps.context();
      const b = await writeLibraryBundle({ tlsDir: tlsDirOf(ctx), library: o.library, outFile: path.resolve(o.out), now: new Date(ctx.world.now()) });
      ctx.log.info({ library: b.library, serial: b.serialNumber, fingerprint: b.fingerprint256 }, 'library certificate issued');
      process.stdout.write(
        `Wrote ${b.outFile} for library ${b.library} (certificate ${b.fingerprint256}, valid until ${b.notAfter.toISOString()}).\n` +
        'Import it on the library; the private key in it is not kept on this server.\n',
      );
    }));
}
