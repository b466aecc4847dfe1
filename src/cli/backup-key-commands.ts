import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { type BackupKey, createPassphraseKey, createShareKey, loadBackupKey, saveBackupKey } from '../engine/backup-seal.js';
import { parseShareSpec } from '../engine/backup-shares.js';
import { BackupError } from '../errors.js';
import type { HwCommandDeps } from './hw-commands.js';
import { readNewPassphrase } from './secret-input.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** Writes lines to stdout and waits until they are written, or says why they could not be. */
function showOnce(lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${lines.join('\n')}\n`, (e) => (e
      ? reject(new BackupError('SHARES_NOT_SHOWN', 'The recovery shares could not be shown in full (standard output was closed), so no backup key was set up; run the command again with its output on a terminal or into a file.', { cause: e }))
      : resolve()));
  });
}

export function describeBackupKey(k: BackupKey): string {
  const how = k.kind === 'passphrase' ? 'a passphrase' : `recovery shares, any ${k.shares!.threshold} of ${k.shares!.count}`;
  return `backup key ${k.id} (${how}; set up ${k.createdAt})`;
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
      if (!o.passphrase === !o.shares) {
        throw new BackupError('BACKUP_KEY_HOW', 'Say how the backup key is held: --shares M-of-N (recovery shares, for example 2-of-3) or --passphrase, not both.');
      }
      const spec = o.shares === undefined ? undefined : parseShareSpec(o.shares);
      const ctx = deps.context();
      const dataDir = ctx.config.paths.data_dir;
      const old = loadBackupKey(dataDir);
      if (old && !o.replace) {
        throw new BackupError('BACKUP_KEY_EXISTS', `A ${describeBackupKey(old)} is already set up; add --replace to set up a new one (backups made before stay sealed to the old key).`);
      }
      let key: BackupKey;
      if (spec) {
        const made = await createShareKey(spec, ctx.world);
        key = made.key;
        // Shown before the key is kept: a key whose shares nobody saw would seal backups no one can open.
        await showOnce([
          `Backup key ${key.id}: ${spec.count} recovery shares, any ${spec.threshold} of which restore a backup.`,
          `They are shown this once and kept nowhere: write each down or print it, and give them to ${spec.count} different people to keep apart, off this server.`,
          '',
          ...made.shares.map((s, i) => `  share ${i + 1} of ${spec.count}: ${s}`),
          '',
        ]);
      } else {
        key = await createPassphraseKey(await readNewPassphrase(), ctx.world);
      }
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      saveBackupKey(dataDir, key);
      ctx.log.info({ backupKey: { id: key.id, kind: key.kind, shares: key.shares, replaced: old?.id } }, 'backup key set up');
      out(spec ? `Backup key ${key.id} is set up.` : `Backup key ${key.id} is set up from your passphrase; keep the passphrase off this server, because no backup can be restored without it.`);
      out(`Backups are sealed to it from now on; restore asks for ${spec ? `${spec.threshold} shares` : 'the passphrase'}.`);
      if (old) out(`Backups made before stay sealed to backup key ${old.id}: keep its ${old.kind === 'passphrase' ? 'passphrase' : 'shares'} as long as you keep them.`);
    }));

  bk.command('status')
    .description('the backup key backups are sealed to (never its secret)')
    .action(deps.action(() => {
      const key = loadBackupKey(deps.context().config.paths.data_dir);
      out(key ? `Backups are sealed to ${describeBackupKey(key)}.` : 'No backup key is set up, so backups are refused; set one up with: qkmcmds backup-key init --shares 2-of-3 (or --passphrase)');
    }));
}
