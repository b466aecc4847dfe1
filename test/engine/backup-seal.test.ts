import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { takeBackup } from '../../src/engine/backup.js';
import { BACKUP_KEY_FILE, type BackupKey, createShareKey, loadBackupKey, saveBackupKey } from '../../src/engine/backup-seal.js';
import { parseShareSpec } from '../../src/engine/backup-shares.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { deriveKeys } from '../../src/engine/master-key.js';
import { restoreBackup } from '../../src/engine/restore.js';
import { TEST_PASSPHRASE, testBackupKey, unlockWith } from '../helpers/backup-key.js';
import { SETTINGS, openEngine, removeDir, tempDir, testWorld } from '../helpers/engine.js';
import { REPO } from '../helpers/worker.js';

const world = testWorld();
let dir: string;
let out: string;
let engine: KeyEngine;
let passphraseKey: BackupKey;
let shareKey: BackupKey;
let shares: string[];

beforeAll(async () => {
  passphraseKey = await testBackupKey(world);
  ({ key: shareKey, shares } = await createShareKey({ threshold: 2, count: 3 }, world));
});
beforeEach(() => {
  dir = tempDir();
  out = tempDir('qkm-backups-');
  engine = openEngine(dir, {}, world);
  engine.generate('LIB1', 'i500');
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
  removeDir(out);
});

const masterKey = (): Buffer => readFileSync(path.join(dir, 'keystore', 'master.key'));
const backup = (backupKey: BackupKey) => takeBackup(engine, world, { toDir: out, backupKey });
const restore = (b: { appFile: string; dataFile: string }, secret: { passphrase: string } | { shares: string[] }) =>
  restoreBackup({ dataDir: dir, appFile: b.appFile, dataFile: b.dataFile, serial: SETTINGS.serial, world, unlock: async () => secret });

/** What restore must leave alone when it refuses: the link, both keystore files, no candidate or staging folder. */
function dataDirState(): string {
  const target = readlinkSync(path.join(dir, 'keystore'));
  const h = createHash('sha256').update(target).update(readdirSync(dir).sort().join('|'));
  for (const f of ['keystore.db', 'master.key']) h.update(readFileSync(path.join(dir, target, f)));
  return h.digest('hex');
}

async function expectRefusal(p: Promise<unknown>, re: RegExp, before: string): Promise<void> {
  const e = await p.then(() => undefined, (x: Error) => x);
  expect(e, 'restore should have been refused').toBeInstanceOf(Error);
  expect(e!.message).toMatch(re);
  expect(e!.message.split(/\.\s/)).toHaveLength(1);
  expect(dataDirState()).toBe(before);
}

/**
 * A share with one digit of its data changed: as typed wrongly (the check value no longer
 * matches), or as forged or damaged with a check value made to match.
 */
function changedShare(share: string, recheck: boolean): string {
  const parts = share.split('-');
  parts[6] = (parts[6]![0] === '0' ? '1' : '0') + parts[6]!.slice(1);
  if (recheck) {
    const [, id, mofn, x] = parts as [string, string, string, string];
    const [m, n] = mofn.split('of');
    parts[12] = createHash('sha256').update(`qkm share check v1|${id}|${m}|${n}|${x}|${parts.slice(4, 12).join('')}`).digest('hex').slice(0, 8);
  }
  return parts.join('-');
}

describe('a stolen pair of backup files', () => {
  it('reveals neither the master key nor any key, in any encoding or any 32 bytes of it', async () => {
    const b = await backup(passphraseKey);
    const master = masterKey();
    const materials = (engine.store.db.prepare('SELECT name FROM keys').pluck().all() as string[]).map((n) => engine.lookup(n).material);
    expect(materials).toHaveLength(64);
    const stolen = tempDir('qkm-stolen-');
    try {
      const blobs: Buffer[] = [];
      for (const [half, file] of [['app', b.appFile], ['data', b.dataFile]] as const) {
        blobs.push(readFileSync(file));
        const d = path.join(stolen, half);
        mkdirSync(d);
        await tar.x({ file, cwd: d });
        for (const f of readdirSync(d)) blobs.push(readFileSync(path.join(d, f)));
      }
      expect(readdirSync(path.join(stolen, 'app')).sort()).toEqual(['manifest.json', 'master.key.sealed', 'settings.json']);
      // Every base64 string of the JSON files, decoded, is searched too.
      for (const text of blobs.map((x) => x.toString('latin1'))) {
        for (const m of text.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)) blobs.push(Buffer.from(m[1]!, 'base64'));
      }
      for (const blob of blobs) {
        for (const secret of [master, ...materials]) {
          expect(blob.includes(secret)).toBe(false);
          expect(blob.includes(Buffer.from(secret.toString('hex')))).toBe(false);
          expect(blob.includes(Buffer.from(secret.toString('base64')))).toBe(false);
        }
      }
      // No 32 bytes anywhere in the app half open the keystore (its check value would match).
      const check = engine.store.meta('master_check');
      const appBlobs = blobs.filter((x) => x.length < 4096);
      let tried = 0;
      for (const blob of appBlobs) {
        for (let i = 0; i + 32 <= blob.length; i++, tried++) expect(deriveKeys(blob.subarray(i, i + 32)).checkValue).not.toBe(check);
      }
      expect(tried).toBeGreaterThan(1000);
    } finally {
      removeDir(stolen);
    }
  });
});

describe('restore of a sealed backup', () => {
  it('with the right passphrase gives back the same keystore', async () => {
    const b = await backup(passphraseKey);
    const master = masterKey();
    const sample = engine.lookup(engine.store.db.prepare('SELECT name FROM keys LIMIT 1 OFFSET 17').pluck().get() as string);
    engine.store.close();
    const r = await restore(b, { passphrase: TEST_PASSPHRASE });
    expect(r.sealedTo?.id).toBe(passphraseKey.id);
    expect(masterKey().equals(master)).toBe(true);
    engine = openEngine(dir, {}, world);
    expect(engine.lookup(sample.name).material.equals(sample.material)).toBe(true);
  });

  it('refuses a wrong passphrase in one sentence and changes nothing', async () => {
    const b = await backup(passphraseKey);
    engine.store.close();
    const before = dataDirState();
    await expectRefusal(restore(b, { passphrase: 'correct horse battery stapler' }), new RegExp(`^That passphrase does not open backup key ${passphraseKey.id}`), before);
    await expectRefusal(restore(b, { shares: shares.slice(0, 2) }), /sealed to the passphrase of backup key/, before);
  });

  it('with any M of the N shares gives back the same keystore', async () => {
    const b = await backup(shareKey);
    const master = masterKey();
    engine.store.close();
    const r = await restore(b, { shares: [shares[2]!, shares[0]!] });
    expect(r.sealedTo).toEqual(shareKey);
    expect(masterKey().equals(master)).toBe(true);
    world.advance(1000);
    await restore(b, { shares: [` ${shares[1]!.toUpperCase()} `, shares[2]!] }); // typed in capitals, with stray spaces
    expect(masterKey().equals(master)).toBe(true);
  });

  it('refuses M-1 shares, a changed share, a mistyped share, a repeated share, another set of shares', async () => {
    const b = await backup(shareKey);
    engine.store.close();
    const before = dataDirState();
    const other = await createShareKey({ threshold: 2, count: 3 }, world);
    const cases: [string[], RegExp][] = [
      [[shares[0]!], new RegExp(`^Backup key ${shareKey.id} needs 2 of its 3 shares, but 1 was given`)],
      [[shares[0]!, changedShare(shares[1]!, true)], new RegExp(`^Those shares do not rebuild backup key ${shareKey.id}`)],
      [[shares[0]!, changedShare(shares[1]!, false)], /^Share 2 has a typing mistake/],
      [[shares[0]!, shares[0]!], /^Share 2 is the same share as share 1/],
      [[other.shares[0]!, other.shares[1]!], new RegExp(`^Share 1 belongs to backup key ${other.key.id}, but this backup is sealed to backup key ${shareKey.id}`)],
      [[shares[0]!, 'qkm1-hello'], /^Share 2 is not a qkm recovery share/],
    ];
    for (const [given, re] of cases) await expectRefusal(restore(b, { shares: given }), re, before);
  });

  it('refuses a sealed master key altered inside a consistent archive', async () => {
    const b = await backup(shareKey);
    engine.store.close();
    const before = dataDirState();
    const work = tempDir('qkm-repack-');
    await tar.x({ file: b.appFile, cwd: work });
    const sealed = JSON.parse(readFileSync(path.join(work, 'master.key.sealed'), 'utf8'));
    const ct = Buffer.from(sealed.ciphertext, 'base64');
    ct[5]! ^= 1;
    sealed.ciphertext = ct.toString('base64');
    const text = JSON.stringify(sealed);
    writeFileSync(path.join(work, 'master.key.sealed'), text);
    const m = JSON.parse(readFileSync(path.join(work, 'manifest.json'), 'utf8'));
    Object.assign(m.files.find((f: { name: string }) => f.name === 'master.key.sealed'), { size: text.length, sha256: createHash('sha256').update(text).digest('hex') });
    writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(m));
    const appFile = path.join(out, 'edited.tgz');
    await tar.c({ gzip: true, file: appFile, cwd: work }, readdirSync(work));
    removeDir(work);
    await expectRefusal(restore({ appFile, dataFile: b.dataFile }, { shares: shares.slice(0, 2) }), /sealed master key was altered/, before);
  });
});

it('restores a format 1 backup (master key in clear) written before backups were sealed', async () => {
  engine.store.close();
  const fixture = path.join(REPO, 'test', 'fixtures', 'backup-format1');
  const [appFile, dataFile] = readdirSync(fixture).filter((f) => f.endsWith('.tgz')).sort().map((f) => path.join(fixture, f));
  const work = tempDir('qkm-v1-');
  await tar.x({ file: appFile!, cwd: work });
  const clear = readFileSync(path.join(work, 'master.key'));
  removeDir(work);
  const r = await restoreBackup({ dataDir: dir, appFile: appFile!, dataFile: dataFile!, serial: SETTINGS.serial, world, allowOtherServer: true, unlock: unlockWith(), confirmOlder: () => true });
  expect(r).toMatchObject({ keys: 8, libraries: ['LIB1'], backupSerial: 'SIMA4873355B3', sealedTo: undefined });
  expect(masterKey().equals(clear)).toBe(true);
});

it('share counts are M-of-N with 2 <= M <= N <= 255', () => {
  expect(parseShareSpec('3-of-5')).toEqual({ threshold: 3, count: 5 });
  expect(parseShareSpec('2/2')).toEqual({ threshold: 2, count: 2 });
  for (const bad of ['1-of-3', '4-of-3', '2-of-256', 'two of three', '']) expect(() => parseShareSpec(bad)).toThrow(/is not a share count; give M-of-N/);
});

it("the box's backup key file is refused when damaged, so no backup is sealed under a key restore would refuse", () => {
  expect(loadBackupKey(dir)).toBeUndefined();
  saveBackupKey(dir, shareKey);
  expect(loadBackupKey(dir)).toEqual(shareKey);
  const file = path.join(dir, BACKUP_KEY_FILE);
  for (const edit of [{ shares: { threshold: 4, count: 3 } }, { kind: 'passphrase' }, { id: '00000000' }, { publicKey: 'AAAA' }]) {
    writeFileSync(file, JSON.stringify({ ...shareKey, ...edit }));
    expect(() => loadBackupKey(dir)).toThrow(/backup-key\.json is damaged; restore it from a copy, or set up a new backup key/);
  }
});
