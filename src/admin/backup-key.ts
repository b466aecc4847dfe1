import { mkdirSync } from 'node:fs';
import { BackupError } from '../errors.js';
import {
  type BackupKey,
  type ShareSpec,
  type World,
  createPassphraseKey,
  createShareKey,
  loadBackupKey,
  parseShareSpec,
  saveBackupKey,
} from '../engine/index.js';

export interface BackupKeySetup {
  dataDir: string;
  world: World;
  /** How the key is held: recovery shares, or a passphrase from `askPassphrase` (see backupKeyHow). */
  how: { shares: ShareSpec } | { passphrase: true };
  replace?: boolean;
  /** The new passphrase, asked of the administrator (typed twice, or read). */
  askPassphrase: () => Promise<string>;
  /**
   * Shows the shares, once; resolves only when they were shown in full. The key is kept
   * only after it: a key whose shares nobody saw would seal backups no one can open.
   */
  showShares: (key: BackupKey, spec: ShareSpec, shares: string[]) => Promise<void>;
}

/** How the administrator asked the backup key to be held (M-of-N shares as `2-of-3`, or a passphrase); checked before anything is opened. */
export function backupKeyHow(o: { shares?: string; passphrase?: boolean }): BackupKeySetup['how'] {
  if (!o.passphrase === !o.shares) {
    throw new BackupError('BACKUP_KEY_HOW', 'Say how the backup key is held: --shares M-of-N (recovery shares, for example 2-of-3) or --passphrase, not both.');
  }
  return o.shares === undefined ? { passphrase: true } : { shares: parseShareSpec(o.shares) };
}

/** `backup-key init`: sets up the key every backup seals the master key to; returns it and the one it replaced. */
export async function setUpBackupKey(o: BackupKeySetup): Promise<{ key: BackupKey; spec?: ShareSpec; replaced?: BackupKey }> {
  const spec = 'shares' in o.how ? o.how.shares : undefined;
  const old = loadBackupKey(o.dataDir);
  if (old && !o.replace) {
    throw new BackupError('BACKUP_KEY_EXISTS', `A ${describeBackupKey(old)} is already set up; add --replace to set up a new one (backups made before stay sealed to the old key).`, { params: { existing: describeBackupKey(old) } });
  }
  let key: BackupKey;
  if (spec) {
    const made = await createShareKey(spec, o.world);
    key = made.key;
    await o.showShares(key, spec, made.shares);
  } else {
    key = await createPassphraseKey(await o.askPassphrase(), o.world);
  }
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  saveBackupKey(o.dataDir, key);
  return { key, ...(spec && { spec }), ...(old && { replaced: old }) };
}

/** `backup-key status`: the backup key backups are sealed to (never its secret), if one is set up. */
export function backupKeyStatus(dataDir: string): BackupKey | undefined {
  return loadBackupKey(dataDir);
}

export function describeBackupKey(k: BackupKey): string {
  const how = k.kind === 'passphrase' ? 'a passphrase' : `recovery shares, any ${k.shares!.threshold} of ${k.shares!.count}`;
  return `backup key ${k.id} (${how}; set up ${k.createdAt})`;
}
