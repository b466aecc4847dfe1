import { type BackupKey, type Unlock, createPassphraseKey } from '../../src/engine/backup-seal.js';
import type { World } from '../../src/engine/world.js';
import { type CliResult, qkmcmds } from './cli.js';

/** The passphrase every test backup key is made from (tests only; never a real one). */
export const TEST_PASSPHRASE = 'correct horse battery staple';

/**
 * A passphrase backup key for engine tests. scrypt is cheaper than the product's default
 * (2^14 instead of 2^17) so that a test suite of restores stays fast; the code path is the same.
 */
export function testBackupKey(world: World, passphrase = TEST_PASSPHRASE): Promise<BackupKey> {
  return createPassphraseKey(passphrase, world, { N: 2 ** 14, r: 8, p: 1 });
}

export const unlockWith = (passphrase = TEST_PASSPHRASE): Unlock => async () => ({ passphrase });

/** `qkmcmds backup-key init --passphrase` with the test passphrase on standard input: what a backup needs first. */
export function initBackupKey(dataDir: string, passphrase = TEST_PASSPHRASE): CliResult {
  const r = qkmcmds(['--data-dir', dataDir, 'backup-key', 'init', '--passphrase'], {}, `${passphrase}\n`);
  if (r.code !== 0) throw new Error(`backup-key init failed: ${r.stderr}`);
  return r;
}
