import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, symlinkSync, readFileSync, readlinkSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { takeBackup } from '../../src/engine/backup.js';
import { checkKeystore } from '../../src/engine/integrity.js';
import { KeyEngine } from '../../src/engine/key-engine.js';
import { Keystore } from '../../src/engine/keystore.js';
import { restoreBackup } from '../../src/engine/restore.js';
import type { BackupKey } from '../../src/engine/backup-seal.js';
import { testBackupKey, unlockWith } from '../helpers/backup-key.js';
import { SETTINGS, openEngine, removeDir, tempDir, testWorld } from '../helpers/engine.js';
import { ENGINE_WORKER } from '../helpers/worker.js';

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

const restore = (appFile: string, dataFile: string, extra: Partial<Parameters<typeof restoreBackup>[0]> = {}) =>
  restoreBackup({ dataDir: dir, appFile, dataFile, serial: SETTINGS.serial, world, unlock: unlockWith(), ...extra });

/** What a user would compare: where the keystore link points and the bytes of both files. */
function keystoreFingerprint(): string {
  const target = readlinkSync(path.join(dir, 'keystore'));
  const h = createHash('sha256').update(target);
  for (const f of ['keystore.db', 'master.key']) h.update(readFileSync(path.join(dir, target, f)));
  return h.digest('hex');
}

describe('backup', () => {
  it("writes the appliance's two files, owner-only, and releases the new set for use", async () => {
    engine.generate('LIB1', 'i500');
    expect(() => engine.allocate({ library: 'LIB1', tape: 'T1' })).toThrow(/not in any backup/);
    const r = await takeBackup(engine, world, { toDir: out, backupKey });
    expect(path.basename(r.appFile)).toBe('QKMAppQKMTEST0120261125080000.tgz');
    expect(path.basename(r.dataFile)).toBe('QKMDataQKMTEST0120261125080000.tgz');
    expect(statSync(r.appFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(out).sort()).toEqual([path.basename(r.appFile), path.basename(r.dataFile)].sort());
    expect(r).toMatchObject({ keys: 64, setsNowUsable: 1 });
    expect(engine.allocate({ library: 'LIB1', tape: 'T1' }).name).toBeTruthy();
    expect(engine.tickets.list({ openOnly: true })).toEqual([]);
  });
});

describe('backup beside a writer', () => {
  it('takes one consistent snapshot while another process allocates continuously, and allocations go on meanwhile', async () => {
    engine.store.close();
    engine = openEngine(dir, { setSizes: { i500: 20_000, i2000: 100_000 } }, world);
    engine.generate('BIG', 'i2000');
    engine.generate('LOAD', 'i500');
    // A library writing tapes: a real process committing one allocation after another.
    const writer = spawn(process.execPath, [ENGINE_WORKER, dir, 'allocate', 'LOAD', '100000000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    writer.stdout.on('data', (d: Buffer) => (acked += d.toString().split('\n').length - 1));
    try {
      while (acked < 50) await new Promise((r) => setTimeout(r, 20));
      const before = acked;
      // Before the fix SQLite's online backup started over at every commit and never finished.
      const b = await Promise.race([
        takeBackup(engine, world, { toDir: out, backupKey }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the backup did not finish within 45 s beside a writer')), 45_000)),
      ]);
      expect(acked - before, 'allocations committed while the backup ran').toBeGreaterThan(0);
      expect(b.keys).toBe(120_000);
      writer.kill('SIGKILL');
      const restored = tempDir();
      try {
        await restoreBackup({ dataDir: restored, appFile: b.appFile, dataFile: b.dataFile, serial: SETTINGS.serial, world, unlock: unlockWith() });
        const copy = Keystore.open(restored, world);
        try {
          // Everything acknowledged before the backup started is in it, and the copy is whole.
          expect(copy.db.prepare("SELECT COUNT(*) FROM keys WHERE state = 'allocated'").pluck().get()).toBeGreaterThanOrEqual(before - 1);
          expect((await checkKeystore(copy)).problems).toEqual([]);
        } finally {
          copy.close();
        }
      } finally {
        removeDir(restored);
      }
    } finally {
      writer.kill('SIGKILL');
    }
  }, 120_000);

  it('releases only the sets its snapshot holds: a set generated meanwhile stays pending', async () => {
    engine.store.close();
    engine = openEngine(dir, { setSizes: { i500: 64, i2000: 20_000 } }, world);
    engine.generate('OLD', 'i2000');
    const other = openEngine(dir, { setSizes: { i500: 64, i2000: 20_000 } }, world);
    let generated = false;
    const b = await takeBackup(engine, world, {
      toDir: out,
      backupKey,
      onProgress: () => {
        if (!generated) other.generate('NEW', 'i2000'); // another connection, after the snapshot began
        generated = true;
      },
    });
    other.store.close();
    expect(generated).toBe(true);
    expect(b).toMatchObject({ keys: 20_000, setsNowUsable: 1 });
    expect(engine.status().map((s) => [s.library, s.pendingBackup])).toEqual([['NEW', 20_000], ['OLD', 0]]);
    expect(() => engine.allocate({ library: 'NEW', tape: 'T1' })).toThrow(/not in any backup/);
    expect(engine.tickets.list({ openOnly: true }).map((t) => t.condition)).toContain('backup-needed');
    expect(engine.allocate({ library: 'OLD', tape: 'T1' }).name).toBeTruthy();
  });
});

describe('restore', () => {
  it('round-trips 100,000 keys exactly and then requires a sync before allocating', async () => {
    engine.store.close();
    removeDir(dir);
    dir = tempDir();
    engine = openEngine(dir, { setSizes: { i500: 64, i2000: 100_000 } }, world);
    engine.generate('BIG', 'i2000');
    engine.generate('SMALL', 'i500');

    const b = await takeBackup(engine, world, { toDir: out, backupKey });
    const used = [engine.allocate({ library: 'BIG', tape: 'A1' }), engine.allocate({ library: 'BIG', tape: 'A2' })];
    const names = engine.store.db.prepare('SELECT name FROM keys ORDER BY seq').pluck().all() as string[];
    const probe = names.slice(0, 5000).filter((_, i) => i % 997 === 0).map((n) => engine.lookup(n));
    engine.store.close();

    // Replace the whole data directory: the server and both disks were lost.
    removeDir(dir);
    dir = tempDir();
    const res = await restore(b.appFile, b.dataFile);
    expect(res).toMatchObject({ keys: 100_064, libraries: ['BIG', 'SMALL'], backupSerial: 'QKMTEST01', previous: undefined });
    engine = new KeyEngine(Keystore.open(dir, world), SETTINGS, world);
    expect(engine.store.db.prepare('SELECT COUNT(*) FROM keys').pluck().get()).toBe(100_064);
    for (const p of probe) expect(engine.lookup(p.name).material.equals(p.material)).toBe(true);
    expect((await checkKeystore(engine.store)).problems).toEqual([]);
    // The two keys handed out after the backup are unknown to the restored store: a sync must skip them.
    expect(() => engine.allocate({ library: 'BIG', tape: 'A3' })).toThrow(/must be synchronised/);
    expect(engine.tickets.list({ openOnly: true }).map((t) => t.condition)).toEqual(['sync-needed:BIG', 'sync-needed:SMALL']);
    engine.sync(used[1]!.name);
    const next = engine.allocate({ library: 'BIG', tape: 'A3' });
    expect(used.map((u) => u.name)).not.toContain(next.name);
    expect(next.name).toBe(names[2]);
  });

  it('keeps the replaced keystore aside and switches atomically', async () => {
    engine.generate('LIB1', 'i500');
    const b = await takeBackup(engine, world, { toDir: out, backupKey });
    const before = readlinkSync(path.join(dir, 'keystore'));
    engine.store.close();
    world.advance(1000);
    const res = await restore(b.appFile, b.dataFile);
    expect(res.previous).toBe(path.join(dir, before));
    expect(existsSync(path.join(dir, before, 'keystore.db'))).toBe(true);
    expect(readlinkSync(path.join(dir, 'keystore'))).not.toBe(before);
    engine = new KeyEngine(Keystore.open(dir, world), SETTINGS, world);
    expect(engine.status()[0]).toMatchObject({ library: 'LIB1', total: 64, needsSync: true });
  });

  describe('bad input gets one sentence and changes nothing', () => {
    let app: string;
    let data: string;
    let fingerprint: string;
    beforeEach(async () => {
      engine.generate('LIB1', 'i500');
      ({ appFile: app, dataFile: data } = await takeBackup(engine, world, { toDir: out, backupKey }));
      engine.store.close();
      fingerprint = keystoreFingerprint();
    });
    afterEach(() => {
      expect(keystoreFingerprint()).toBe(fingerprint);
      expect(readdirSync(dir).filter((f) => f.startsWith('.restore') || f.startsWith('keystore-')).length).toBe(1);
    });

    async function repack(file: string, edit: (dir: string) => void): Promise<string> {
      const work = tempDir('qkm-repack-');
      await tar.x({ file, cwd: work });
      edit(work);
      const target = path.join(out, `edited-${path.basename(file)}`);
      await tar.c({ gzip: true, file: target, cwd: work }, readdirSync(work));
      removeDir(work);
      return target;
    }
    const expectSentence = async (p: Promise<unknown>, re: RegExp) => {
      const e = await p.then(() => undefined, (x: Error) => x);
      expect(e).toBeInstanceOf(Error);
      expect(e!.message).toMatch(re);
      expect(e!.message.split(/\.\s/).length).toBe(1); // one sentence
      expect(e!.message).not.toMatch(/\n|at .*\.js/);
    };

    it('truncated', async () => {
      const t = path.join(out, 'truncated.tgz');
      const bytes = readFileSync(data);
      writeFileSync(t, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await expectSentence(restore(app, t), /truncated\.tgz is damaged or not a qkm backup/);
    });
    it('tampered content with its original manifest', async () => {
      const t = await repack(data, (d) => {
        const db = readFileSync(path.join(d, 'keystore.db'));
        db[db.length - 100]! ^= 0xff;
        writeFileSync(path.join(d, 'keystore.db'), db);
      });
      await expectSentence(restore(app, t), /does not match its manifest \(keystore\.db is missing, truncated or altered\)/);
    });
    it('another server', async () => {
      await expectSentence(restoreBackup({ dataDir: dir, appFile: app, dataFile: data, serial: 'OTHER01', world, unlock: unlockWith() }), /belongs to server QKMTEST01, not to this server \(OTHER01\).*--allow-other-server/);
    });
    it('a newer format version', async () => {
      const t = await repack(data, (d) => {
        const m = JSON.parse(readFileSync(path.join(d, 'manifest.json'), 'utf8'));
        m.formatVersion = 99;
        writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(m));
      });
      await expectSentence(restore(app, t), /written by a newer qkm \(backup format 99/);
    });
    it('halves of two different backups', async () => {
      world.advance(2000);
      const reopened = new KeyEngine(Keystore.open(dir, world), SETTINGS, world);
      const other = await takeBackup(reopened, world, { toDir: out, backupKey });
      reopened.store.close();
      fingerprint = keystoreFingerprint(); // the second backup released nothing new; link unchanged
      await expectSentence(restore(app, other.dataFile), /come from different backups/);
    });
    it('halves given in the wrong order', async () => {
      await expectSentence(restore(data, app), /is the QKMData half; give the QKMApp file first/);
    });
    it('a file that is not a backup at all', async () => {
      const t = path.join(out, 'notes.tgz');
      writeFileSync(t, 'hello');
      await expectSentence(restore(app, t), /notes\.tgz is damaged or not a qkm backup/);
    });
    it('a missing file', async () => {
      await expectSentence(restore(app, path.join(out, 'nope.tgz')), /does not exist; give the path of the QKMData file/);
    });
    it('an archive that tries to write outside its folder', async () => {
      const work = tempDir('qkm-evil-');
      writeFileSync(path.join(work, 'manifest.json'), 'x');
      symlinkSync('/etc/passwd', path.join(work, 'keystore.db'));
      const t = path.join(out, 'evil.tgz');
      // GNU tar writes the hostile names our own tar library would refuse to create.
      execFileSync('tar', ['-czPf', t, '-C', work, '--transform', 's,^manifest.json,../../../../tmp/qkm-evil-escape,', 'manifest.json', 'keystore.db']);
      removeDir(work);
      await expectSentence(restore(app, t), /evil\.tgz/);
      expect(existsSync('/tmp/qkm-evil-escape')).toBe(false);
    });
  });
});

/** What the backup age (metrics, status) is measured from: the last backup, even one that released no new set. */
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
