import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageCdrom } from '../../drivers/cdrom/image.js';
import { FileRoot } from '../../drivers/file-root.js';
import { claimDataDir, holdKernelLock } from '../../src/admin/data-dir-lock.js';
import { acceptLicence } from '../../src/admin/eula.js';
import { realWorld } from '../../src/engine/index.js';
import { hardwareHandler } from '../../src/control/handlers.js';
import { openIsoBundle, publicKeyHex, readSignedBundle, updatePublicKey } from '../../src/update/bundle/index.js';
import { readVolumeLabel } from '../../src/update/iso9660/index.js';
import { qkmcmds, qkmcmdsInteractive, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { needsTool } from '../helpers/tools.js';
import { BUILD_UPDATE_ISO, TEST_UPDATE_KEY_FILE, testUpdateKey } from '../helpers/update.js';
import { REPO } from '../helpers/worker.js';

const xorriso = needsTool('xorriso', 'xorriso', 'update-drive.test');
const installed = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const newer = `${Number(installed.split('.')[0]) + 1}.0.0`;

let dir: string;
let dataDir: string;
let qkmd: Awaited<ReturnType<typeof startQkmd>> | undefined;
const iso = (name: string) => path.join(dir, `${name}.iso`);
const boot = () => JSON.parse(readFileSync(path.join(dataDir, 'software', 'boot.json'), 'utf8'));
const sim = (...args: string[]) => {
  const r = qkmcmds(['--data-dir', dataDir, 'sim', ...args]);
  expect(r.stderr).toBe('');
};

/** qkmcmds with its standard input open, as a person at the terminal; `prompted` waits for its n-th request for a CD. */
function interactive(args: string[]) {
  const r = qkmcmdsInteractive(['--data-dir', dataDir, ...args]);
  return { ...r, prompted: async (times: number) => expect(await r.shown(/press Enter, or enter q to quit/, times)).toBe(times) };
}

beforeAll(async () => {
  dir = tempDir('qkm-update-drive-');
  dataDir = path.join(dir, 'data');
  if (xorriso.skip) return;
  for (const [name, version] of [['good', newer], ['older', '0.0.1']] as const) {
    const r = spawnSync(BUILD_UPDATE_ISO, ['--no-build', '--no-node-modules', '--key', TEST_UPDATE_KEY_FILE, '--version', version, '--out', iso(name)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }
  // A data CD that is no update at all.
  const files = path.join(dir, 'photos');
  mkdirSync(files);
  writeFileSync(path.join(files, 'holiday.txt'), 'not an update\n');
  const mk = spawnSync('xorriso', ['-as', 'mkisofs', '-quiet', '-r', '-J', '-V', 'PHOTOS', '-o', iso('photos'), files], { encoding: 'utf8' });
  expect(mk.status, mk.stderr).toBe(0);
  qkmd = await startQkmd(['--data-dir', dataDir]);
});
afterAll(async () => {
  await qkmd?.stop();
  removeDir(dir);
});

describe('qkmcmds update and rollback read the CD drive when no --iso is given', () => {
  it.skipIf(xorriso.skip)('no CD: asks again until q, then one sentence and nothing changed', async () => {
    const r = interactive(['update']);
    await r.prompted(1);
    r.answer('');
    await r.prompted(2);
    r.answer('q');
    const done = await r.done();
    expect(done.code).toBe(1);
    expect(done.stdout).toContain('Take offline the QKM partitions of every library using this server');
    expect(done.stdout).toContain('The CD drive has no disc; insert one first. Load the update CD and press Enter, or enter q to quit.');
    expect(done.stderr).toBe('qkmcmds: No CD was loaded, so nothing was changed.\n');
    // An update that never ran leaves no software folder.
    expect(spawnSync('ls', [path.join(dataDir, 'software')]).status).not.toBe(0);
  });

  it.skipIf(xorriso.skip)('a data CD that is no update: one sentence naming the drive, nothing changed', () => {
    sim('insert-cd', iso('photos'));
    const r = qkmcmds(['--data-dir', dataDir, 'update']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('qkmcmds: The CD in the drive (PHOTOS) holds no qkm update (no qkm-update-<version> folder); use the update CD for this appliance.\n');
    expect(spawnSync('ls', [path.join(dataDir, 'software')]).status).not.toBe(0);
    sim('eject-cd');
  });

  it.skipIf(xorriso.skip)('the CD loaded after the prompt is installed; rollback refuses the wrong CD, then goes back with the right one', async () => {
    const r = interactive(['update']);
    await r.prompted(1);
    sim('insert-cd', iso('good'));
    r.answer('');
    const done = await r.done();
    expect(done.stderr).toBe('');
    expect(done.stdout).toContain(`Installed qkm ${newer} in slot a, on trial; qkm ${installed} stays as the version to roll back to.`);
    expect(boot()).toMatchObject({ active: 'a', previous: 'base' });
    sim('eject-cd');

    sim('insert-cd', iso('older'));
    const wrong = qkmcmds(['--data-dir', dataDir, 'rollback']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`qkmcmds: The CD holds qkm 0.0.1, but qkm ${newer} is installed; a rollback needs the CD of the installed version.\n`);
    expect(boot()).toMatchObject({ active: 'a', previous: 'base' });
    sim('eject-cd');

    // No CD: the rollback asks for the installed version's.
    const rollback = interactive(['rollback']);
    await rollback.prompted(1);
    expect(rollback.out()).toContain('The CD drive has no disc; insert one first. Load the CD of the version installed now and press Enter, or enter q to quit.');
    sim('insert-cd', iso('good'));
    rollback.answer('');
    const back = await rollback.done();
    expect(back.stderr).toBe('');
    expect(back.stdout).toContain(`Rolled back from qkm ${newer} to qkm ${installed}.`);
    expect(back.stdout).toMatch(/Then bring the QKM partitions of the libraries using this server back online\.\n$/);
    expect(boot()).toMatchObject({ active: 'base', previous: null });
    sim('eject-cd');
  });

  it.skipIf(xorriso.skip)("from the menu console: c reads the CD in the drive, asked for until it is loaded, as update does", async () => {
    acceptLicence(dataDir, realWorld);
    const r = qkmcmdsInteractive(['--data-dir', dataDir]);
    const step = async (pattern: RegExp, answer: string) => {
      expect(await r.shown(pattern), `${pattern}: ${r.out()}`).toBe(1);
      r.answer(answer);
    };
    await step(/Password for akmadmin: $/, 'password');
    await step(/Go on\? \[y\/N\] $/, 'y');
    await step(/Choice: $/, 'u');
    await step(/The update CD \(c: in the drive, or its image's path\), Enter: back: $/, 'c');
    await step(/The CD drive has no disc; insert one first\. Load the update CD and press Enter, or enter q to quit\. $/, '');
    expect(await r.shown(/Load the update CD and press Enter/, 2)).toBe(2);
    sim('insert-cd', iso('good'));
    r.answer('');
    await step(/Install qkm \S+ now\? \[y\/N\] $/, 'y');
    expect(await r.shown(/Installed qkm/)).toBe(1);
    await step(/Choice: $/, 'x');
    const done = await r.done();
    expect(done.stdout).toContain(`The CD holds qkm ${newer}, signed by the configured update key; this server runs qkm ${installed}.`);
    expect(done.stdout).toContain(`Installed qkm ${newer} in slot a, on trial; qkm ${installed} stays as the version to roll back to.`);
    expect(boot()).toMatchObject({ active: 'a', previous: 'base' });
    // Back as it was, for the tests that follow.
    expect(qkmcmds(['--data-dir', dataDir, 'rollback']).code).toBe(0);
    sim('eject-cd');
  });

  it.skipIf(xorriso.skip)('no qkmd to read the drive: one sentence that says to start it or give --iso', () => {
    const other = path.join(dir, 'stopped');
    mkdirSync(other);
    const r = qkmcmds(['--data-dir', other, 'update']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`qkmcmds: qkmd is not running on ${other}, and it is qkmd that reads the CD drive; start it (qkm-launcher, or npm start), or give the CD as an image with --iso FILE.\n`);
  });
});

describe('one update or rollback at a time, and none during a restore', () => {
  it.skipIf(xorriso.skip)('a second update or rollback while one runs gets one sentence and changes nothing', () => {
    const quiet = path.join(dir, 'busy');
    mkdirSync(quiet);
    // The lock as a running update holds it: a kernel lock on <data_dir>/update.lock.
    const held = holdKernelLock(path.join(quiet, 'update.lock'))!;
    try {
      for (const cmd of [['update', '--iso', iso('good')], ['rollback', '--iso', iso('good')]]) {
        const r = qkmcmds(['--data-dir', quiet, ...cmd]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^qkmcmds: Another software update or rollback is running on ${quiet}; wait for it to finish before you (install an update|roll back)\\.\\n$`));
      }
    } finally {
      held.close();
    }
    expect(spawnSync('ls', [path.join(quiet, 'software')]).status).not.toBe(0);
    // Released (or its holder killed): the next one runs, and on one server of a pair says to update the other.
    const next = qkmcmds(['--data-dir', quiet, 'update', '--iso', iso('good')], { QKM_PAIR_ROLE: 'secondary', QKM_PAIR_PEER: '127.0.0.1:6101' });
    expect(next.stderr).toBe('');
    expect(next.stdout).toMatch(/This server is the secondary of a pair: update the other server \(127\.0\.0\.1:6101\) the same way with the same CD, then bring the QKM partitions of the libraries using this server back online\.\n$/);
  });

  it.skipIf(xorriso.skip)('an update while a restore holds the data directory gets one sentence naming it', () => {
    const restoring = path.join(dir, 'restoring');
    mkdirSync(restoring);
    const release = claimDataDir(restoring, { program: 'qkmcmds', task: 'restore' }, 'restore a backup');
    try {
      const r = qkmcmds(['--data-dir', restoring, 'update', '--iso', iso('good')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`qkmcmds: qkmcmds restore is running (pid ${process.pid}) on ${restoring}; wait for it to finish before you install an update.\n`);
    } finally {
      release();
    }
    expect(spawnSync('ls', [path.join(restoring, 'software')]).status).not.toBe(0);
  });
});

describe('the image-file drive ([hardware] cdrom = "image")', () => {
  it.skipIf(xorriso.skip)('lends its image to an update through qkmd\'s cd-disc request; no image file is no disc', async () => {
    const root = path.join(dir, 'image-drive');
    mkdirSync(path.join(root, 'srv'), { recursive: true });
    const drive = new ImageCdrom({ root: new FileRoot(root), image: '/srv/update.iso', readLabel: readVolumeLabel });
    const noTickets = { open: () => false, close: () => false, list: () => [] };
    const handle = hardwareHandler({ profile: 'appliance', agent: null, sim: null, cdrom: () => drive, onStopRequest: () => {}, captureTools: async () => { throw new Error('not asked here'); }, stop: async () => {} }, noTickets);
    expect((await handle({ op: 'cd-disc' })).reply).toEqual({ ok: false, code: 'BAY_EMPTY', message: 'The CD drive has no disc: there is no image file at /srv/update.iso.' });
    writeFileSync(path.join(root, 'srv', 'update.iso'), readFileSync(iso('good')));
    const lent = (await handle({ op: 'cd-disc' })).reply as { ok: true; result: { path: string; label: string } };
    expect(lent.result).toEqual({ path: path.join(root, 'srv', 'update.iso'), label: `QKM_${newer.replaceAll('.', '_')}` });
    const source = await openIsoBundle(lent.result.path, 'the CD in the drive');
    try {
      expect((await readSignedBundle(source, updatePublicKey(publicKeyHex(testUpdateKey())))).manifest.version).toBe(newer);
    } finally {
      await source.close();
    }
  });
});
