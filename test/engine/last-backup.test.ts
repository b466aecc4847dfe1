import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { takeBackup } from '../../src/engine/backup.js';
import type { BackupKey } from '../../src/engine/backup-seal.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { testBackupKey } from '../helpers/backup-key.js';
import { openEngine, removeDir, tempDir, testWorld } from '../helpers/engine.js';

/** What the backup age (metrics, status) is measured from: the last backup, even one that released no new set. */
let dir: string;
let out: string;
let engine: KeyEngine;
const world = testWorld();
let backupKey: BackupKey;
beforeAll(async () => {
  backupKey = await testBackupKey(world);
});
beforeEach(() => {
  dir = tempDir();
  out = tempDir('qkm-backups-');
  engine = openEngine(dir, {}, world);
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
  removeDir(out);
});

describe('the last backup', () => {
  it('is none before the first, then the time of each backup, including one with no new set to release', async () => {
    engine.generate('LIB1', 'i500');
    expect(engine.lastBackupAt()).toBeNull();
    const first = world.now();
    await takeBackup(engine, world, { toDir: out, backupKey });
    expect(engine.lastBackupAt()).toBe(first);
    world.advance(3_600_000);
    await takeBackup(engine, world, { toDir: out, backupKey });
    expect(engine.lastBackupAt()).toBe(first + 3_600_000);
  });

  it('counts keys pending backup only in libraries with a set waiting, and exactly there', async () => {
    engine.generate('OLD', 'i500');
    await takeBackup(engine, world, { toDir: out, backupKey });
    engine.generate('NEW', 'i500');
    engine.allocate({ library: 'OLD', tape: 'T1' });
    expect(engine.status().map((s) => [s.library, s.unused, s.pendingBackup])).toEqual([['NEW', 64, 64], ['OLD', 63, 0]]);
  });
});
