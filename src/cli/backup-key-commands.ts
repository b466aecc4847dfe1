import type { Command } from 'commander';
import { backupKeyHow, backupKeyStatus, describeBackupKey, setUpBackupKey } from '../admin/backup-key.js';
import { BackupError } from '../errors.js';
import type { HwCommandDeps } from './hw-commands.js';
import { readNewPassphrase } from './secret-input.js';
import { noteAudit } from './audited-command.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** Writes lines to stdout and waits until they are written, or says why they could not be. */
function showOnce(lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${lines.join('\n')}\n`, (e) => (e
      ? reject(new BackupError('SHARES_NOT_SHOWN', 'The recovery shares could not be shown in full (standard output was closed), so no backup key was set up; run the command again with its output on a terminal or into a file.', { cause: e }))
      : resolve()));
  });
}

/** `qkmcmds backup-key ...`: the key backups are sealed to, held by the administrator. */
export function addBackupKeyCommands(program: Command, deps: HwCommandDeps): void {
  const bk = program.command('backup-key').description('the key every backup seals the master key to (its secret stays with you)');

  bk.command('init')
    .description('set up the backup key once: a passphrase, or M-of-N recovery shares printed once')
    .option('--passphrase', 'a passphrase, typed twice on a terminal or read from standard input (first line)')
    .option('--shares <M-of-N>', 'N recovery shares, any M of which restore a backup (printed once, kept nowhere)')
    .option('--replace', 'replace the backup key already set up (older backups stay sealed to the old one)')
    .action(deps.action(async (o: { passphrase?: boolean; shares?: string; replace?: boolean }) => {
      const how = backupKeyHow(o);
      const ctx = deps.context();
      const { key, spec, replaced: old } = await setUpBackupKey({
        dataDir: ctx.config.paths.data_dir, world: ctx.world, how, ...(o.replace && { replace: true }),
        askPassphrase: readNewPassphrase,
        showShares: (k, sp, shares) => showOnce([
          `Backup key ${k.id}: ${sp.count} recovery shares, any ${sp.threshold} of which restore a backup.`,
          `They are shown this once and kept nowhere: write each down or print it, and give them to ${sp.count} different people to keep apart, off this server.`,
          '',
          ...shares.map((s, i) => `  share ${i + 1} of ${sp.count}: ${s}`),
          '',
        ]),
      });
      ctx.log.info({ backupKey: { id: key.id, kind: key.kind, shares: key.shares, replaced: old?.id } }, 'backup key set up');
      noteAudit({ backupKey: key.id, kind: key.kind, replaced: old?.id });
      out(spec ? `Backup key ${key.id} is set up.` : `Backup key ${key.id} is set up from your passphrase; keep the passphrase off this server, because no backup can be restored without it.`);
      out(`Backups are sealed to it from now on; restore asks for ${spec ? `${spec.threshold} shares` : 'the passphrase'}.`);
      if (old) out(`Backups made before stay sealed to backup key ${old.id}: keep its ${old.kind === 'passphrase' ? 'passphrase' : 'shares'} as long as you keep them.`);
    }));

  bk.command('status')
    .description('the backup key backups are sealed to (never its secret)')
    .action(deps.action(() => {
      const key = backupKeyStatus(deps.context().config.paths.data_dir);
      out(key ? `Backups are sealed to ${describeBackupKey(key)}.` : 'No backup key is set up, so backups are refused; set one up with: qkmcmds backup-key init --shares 2-of-3 (or --passphrase)');
    }));
}
