/**
 * Issue 15 §1 and §4 in the menu console, driven in an 80x24 tmux pane as a person would:
 * a partner's certificate imported and a tape's key exported for it; an update installed
 * from the CD image made by scripts/build-update-iso with the test key; and a restore
 * while qkmd holds the data directory.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { acceptLicence } from '../../src/admin/eula.js';
import { openKeyFile } from '../../src/exchange/key-file.js';
import { ManagedObjects, realWorld } from '../../src/engine/index.js';
import { issueEncryptionCertificate } from '../../src/pki/authority.js';
import { TEST_PASSPHRASE, initBackupKey } from '../helpers/backup-key.js';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';
import { TmuxConsole } from '../helpers/tmux-console.js';
import { needsTool } from '../helpers/tools.js';
import { BUILD_UPDATE_ISO, TEST_UPDATE_KEY_FILE } from '../helpers/update.js';
import { REPO } from '../helpers/worker.js';

const tmuxTool = needsTool('tmux', 'tmux', 'console-qkm-items-tmux.test');
const xorriso = needsTool('xorriso', 'xorriso', 'console-qkm-items-tmux.test');
const term = new TmuxConsole();
let dir: string;

beforeAll(async () => {
  dir = tempDir('qkm-console-items-');
  const d = await startQkmd(['--data-dir', dir]);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  acceptLicence(dir, realWorld);
});
afterEach(() => term.kill());
afterAll(() => removeDir(dir));

const logs = (): string => readdirSync(path.join(dir, 'logs')).map((f) => readFileSync(path.join(dir, 'logs', f), 'utf8')).join('');

/** The audit log's acts, as "action: outcome". */
const auditActions = (): string[] => readFileSync(path.join(dir, 'logs', 'audit.log'), 'utf8').trim().split('\n')
  .map((l) => JSON.parse(l) as { action: string; outcome: string }).map((a) => `${a.action}: ${a.outcome}`);

async function logIn(): Promise<void> {
  term.start(dir);
  await term.waitFor(/Password for akmadmin: $/m);
  await term.answer('password', /Go on\? \[y\/N\] $/m);
  await term.answer('y', /^Choice: $/m);
}

it.skipIf(tmuxTool.skip)("from the menu: a partner's certificate imported, then a tape's key exported for it, which only the partner can open", async () => {
  // A tape written here: LIB1 was handed a key for TAPE01L8.
  expect(qkmcmds(['--data-dir', dir, 'keys', 'generate', '--library', 'LIB1', '--class', 'i500']).code).toBe(0);
  const serial = readFileSync(path.join(dir, 'serial'), 'utf8').trim();
  const engine = openEngine(dir, { serial, requireBackup: false, setSizes: { i500: 1024, i2000: 4096 } });
  let keyName: string;
  let material: Buffer;
  try {
    keyName = new ManagedObjects(engine).create('LIB1', { tape: 'TAPE01L8', attributes: [{ name: 'x-Barcode', value: { type: 'TextString', value: 'TAPE01L8' } }] }).uid;
    material = engine.lookup(keyName).material;
  } finally {
    engine.store.close();
  }
  const partner = issueEncryptionCertificate({ now: new Date(), serial: 'PARTNER1' });
  writeFileSync(path.join(dir, 'partner.pem'), partner.certPem);

  await logIn();
  let screen = term.visible();
  expect(screen).toMatch(/^ {2}e {2}Encryption certificates: export this server's, import a partner's$/m);
  expect(screen).toMatch(/^ {2}t {2}Share tapes: export keys for a partner, import a partner's$/m);
  for (const line of screen.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

  await term.answer('e', /e: export this server's certificate, i: import a partner's, Enter: back: $/m);
  await term.answer('i', /The partner's certificate file: $/m);
  await term.answer(path.join(dir, 'partner.pem'), /Name for this partner: $/m);
  screen = await term.answer('SITEB', /^Choice: $/m);
  expect(screen).toContain(`fingerprint ${new X509Certificate(partner.certPem).fingerprint256}.`);

  await term.answer('t', /o: export keys, i: import keys, w: Import Warning Log, Enter: back: $/m);
  await term.answer('o', /Partner \(SITEB\): $/m);
  await term.answer('SITEB', /Barcodes of the tapes \(Enter to give key names instead\): $/m);
  await term.answer('TAPE01L8', /File to write the keys to: \[.*keys-for-SITEB\.json\] $/m);
  screen = await term.answer('', /^Choice: $/m);
  expect(screen).toMatch(/Wrote \S+keys-for-SITEB\.json: 1 key\(s\) wrapped for partner SITEB:/);
  expect(screen).toContain(`  ${keyName}  tape TAPE01L8`);

  // A tape nobody wrote: one sentence, and the menu again.
  await term.answer('t', /Enter: back: $/m);
  await term.answer('o', /Partner \(SITEB\): $/m);
  await term.answer('SITEB', /Barcodes of the tapes/m);
  await term.answer('NOSUCH01', /File to write the keys to: /m);
  screen = await term.answer(path.join(dir, 'nothing.json'), /^Choice: $/m);
  expect(screen).toMatch(/No key of this keystore was handed to a tape "NOSUCH01"; check the barcode\./);
  await term.answer('x', /\[exit 0\]/);

  const opened = openKeyFile(readFileSync(path.join(dir, 'keys-for-SITEB.json'), 'utf8'), {
    file: 'keys-for-SITEB.json', own: { fingerprint: new X509Certificate(partner.certPem).fingerprint256, keyPem: partner.keyPem },
  });
  expect(opened.outcomes).toEqual([{ ok: true, index: 0, key: expect.objectContaining({ name: keyName, barcode: 'TAPE01L8', library: 'LIB1', material }) }]);
  expect(auditActions()).toEqual(expect.arrayContaining(['console partner certificate imported: done', 'console keys exported: done', 'console share tapes: export keys for a partner, import a partner\'s: refused']));
});

it.skipIf(tmuxTool.skip)('from the menu: a restore while qkmd runs (the console stopped its key service): qkmd lends the keystore and serves the restored one after', async () => {
  initBackupKey(dir);
  const daemon = await startQkmd(['--data-dir', dir]);
  try {
    await logIn();
    let screen = await term.answer('7', /Folder for the backup files: \[.*\] $/m);
    screen = await term.answer('', /^Choice: $/m);
    const files = [...screen.matchAll(/^ {2}(\/\S+\/QKM(App|Data)\S+\.tgz)$/gm)].map((m) => m[1]!);
    expect(files).toHaveLength(2);
    expect(qkmcmds(['--data-dir', dir, 'keys', 'generate', '--library', 'LIB2', '--class', 'i500']).code).toBe(0);

    await term.answer('8', /The QKMApp file: $/m);
    await term.answer(files.find((f) => f.includes('QKMApp'))!, /The QKMData file: $/m);
    await term.answer(files.find((f) => f.includes('QKMData'))!, /Restore it all the same\? \[y\/N\] $/m);
    await term.answer('y', /Passphrase of backup key \S+: $/m);
    screen = await term.answer(TEST_PASSPHRASE, /^Choice: $/m);
    expect(screen).not.toMatch(/qkmd is running/);
    expect(screen).toMatch(/Restored \d+ keys of server/);
    screen = await term.answer('q', /\[exit 0\]/);
    expect(screen).toMatch(/The key service is running again\./);

    // qkmd still runs, on the restored keystore: LIB2 (made after the backup) is gone, and its agent's tickets answer.
    expect(qkmcmds(['--data-dir', dir, 'keys', 'status']).stdout).not.toMatch(/LIB2/);
    expect(qkmcmds(['--data-dir', dir, 'hw', 'status', '--json']).code).toBe(0);
    expect(qkmcmds(['--data-dir', dir, 'key-service', 'status']).stdout).toMatch(/key service is running/);
    const live = realpathSync(path.join(dir, 'keystore'));
    expect(logs()).toMatch(new RegExp(`"keystore":"${live.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}".*"msg":"keystore opened again"`));
    expect(auditActions()).toContain('console restore: done');
    expect(daemon.child.exitCode).toBeNull();
  } finally {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
}, 120_000);

it.skipIf(tmuxTool.skip || xorriso.skip)('from the menu: an update installed from the CD image scripts/build-update-iso made with the test key', async () => {
  const installed = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  const newer = `${Number(installed.split('.')[0]) + 1}.0.0`;
  const iso = path.join(dir, 'update.iso');
  const built = spawnSync(BUILD_UPDATE_ISO, ['--no-build', '--no-node-modules', '--key', TEST_UPDATE_KEY_FILE, '--version', newer, '--out', iso], { encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);

  await logIn();
  await term.answer('u', /The update CD \(c: in the drive, or its image's path\), Enter: back: $/m);
  let screen = await term.answer(path.join(dir, 'missing.iso'), /^Choice: $/m);
  expect(screen).toMatch(/missing\.iso/);
  await term.answer('u', /Enter: back: $/m);
  screen = await term.answer(iso, /Install qkm \S+ now\? \[y\/N\] $/m);
  expect(screen).toContain(`The CD holds qkm ${newer}, signed by the configured update key; this server runs qkm ${installed}.`);
  expect(screen).toMatch(/Take offline the QKM partitions/);
  screen = await term.answer('y', /^Choice: $/m);
  expect(screen).toContain(`Installed qkm ${newer} in slot a, on trial; qkm ${installed} stays as the version to roll back to.`);
  await term.answer('x', /\[exit 0\]/);
  expect(qkmcmds(['--data-dir', dir, 'update', '--status']).stdout).toMatch(new RegExp(`Running: qkm ${newer.replace(/\./g, '\\.')} \\(slot a\\), on trial since`));
  expect(auditActions()).toContain('console software update: done');
}, 120_000);
