import type { Command } from 'commander';
import { UPDATE_REMINDER, type UpdateOptions, applyUpdate, checkUpdate, rollBack, softwareStatus, softwareStatusLines, withIsoImage } from '../admin/update.js';
import { PACKAGE_ROOT } from '../config/config.js';
import { QkmError } from '../errors.js';
import type { BundleSource } from '../update/bundle/index.js';
import type { HwCommandDeps } from './hw-commands.js';
import { progressBar } from './progress.js';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** `qkmcmds update` and `qkmcmds rollback`, from an update CD or ISO image (the manual's chapter 10). */
export function addUpdateCommands(program: Command, deps: HwCommandDeps): void {
  const options = (bar?: ReturnType<typeof progressBar>): UpdateOptions => {
    const ctx = deps.context();
    return { dataDir: ctx.config.paths.data_dir, baseDir: PACKAGE_ROOT, publicKey: ctx.config.update.public_key, now: ctx.world.now, onProgress: bar?.update };
  };
  const withIso = <T>(file: string | undefined, use: (source: BundleSource) => Promise<T>): Promise<T> => {
    if (!file) throw new QkmError('USAGE', 'Give the update CD as an image with --iso FILE.');
    return withIsoImage(file, use);
  };

  program
    .command('update')
    .description('install a software update from its ISO image into the inactive slot and start it on trial (--check: only verify)')
    .option('--check', 'verify the update and say whether it would be installed; nothing is changed')
    .option('--iso <file>', 'the update CD as an ISO image file')
    .option('--status', 'which version runs, which one a rollback returns to, and any failed trial')
    .action(deps.action(async (o: { check?: boolean; iso?: string; status?: boolean }) => {
      const ctx = deps.context();
      if (o.status) {
        for (const line of softwareStatusLines(softwareStatus({ dataDir: ctx.config.paths.data_dir, baseDir: PACKAGE_ROOT }))) out(line);
        return;
      }
      const bar = progressBar('verifying');
      if (o.check) {
        const r = await withIso(o.iso, (s) => checkUpdate(s, options(bar))).finally(() => bar.stop());
        const m = r.manifest;
        const bytes = m.files.reduce((n, f) => n + f.size, 0);
        out(`Update on ${r.source}: qkm ${m.version}, signed by the configured update key on ${m.createdAt.slice(0, 10)}; updates ${m.updatesFrom} or later; reads keystore schema ${m.keystoreSchema.reads.join(' to ')} and leaves it at ${m.keystoreSchema.writes}; ${m.files.length} payload file(s), ${bytes} bytes.`);
        out(`Installed: qkm ${r.installed.version}, keystore schema ${r.installed.keystoreSchema}.`);
        ctx.log.info({ update: { source: r.source, version: m.version, refused: r.refusal?.code ?? null } }, 'update checked');
        if (r.refusal) throw r.refusal;
        out('It would be installed: the signature, and the size and sha256 of every payload file, are verified.');
        return;
      }
      out(UPDATE_REMINDER);
      const r = await withIso(o.iso, (s) => applyUpdate(s, options(bar))).finally(() => bar.stop());
      ctx.log.info({ update: r }, 'update installed');
      out(`Installed qkm ${r.version} in slot ${r.slot}, on trial; qkm ${r.from} stays as the version to roll back to.`);
      out(r.restarted
        ? `qkm ${r.version} is starting now; if it is not running within ${ctx.config.update.trial_seconds} s, qkm ${r.from} is started again by itself. Check with: qkmcmds -v`
        : `qkm ${r.version} starts, on trial, the next time qkm-launcher starts qkm (no launcher is running now).`);
      out('Keep the CD: a rollback needs it.');
    }));

  program
    .command('rollback')
    .description('go back to the previous software version; needs the CD (ISO image) of the version installed now')
    .option('--iso <file>', 'the CD of the version installed now, as an ISO image file')
    .action(deps.action(async (o: { iso?: string }) => {
      const ctx = deps.context();
      out(UPDATE_REMINDER);
      const bar = progressBar('verifying');
      const r = await withIso(o.iso, (s) => rollBack(s, options(bar))).finally(() => bar.stop());
      ctx.log.info({ rollback: r }, 'rolled back');
      out(`Rolled back from qkm ${r.from} to qkm ${r.to}.`);
      out(r.restarted ? `qkm ${r.to} is starting now. Check with: qkmcmds -v` : `qkm ${r.to} starts the next time qkm-launcher starts qkm (no launcher is running now).`);
    }));
}
