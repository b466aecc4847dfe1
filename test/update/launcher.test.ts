import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyUpdate } from '../../src/admin/update.js';
import { PACKAGE_ROOT } from '../../src/config/config.js';
import { directorySource, publicKeyHex } from '../../src/update/bundle/index.js';
import { QKMCMDS, qkmcmds } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { launch, powerCut, powerCutAll, runningVersion, until } from '../../harness/launcher.js';
import { needsTool } from '../helpers/tools.js';
import { BUILD_UPDATE_ISO, TEST_UPDATE_KEY_FILE, makeBundle, testUpdateKey } from '../helpers/update.js';

const xorriso = needsTool('xorriso', 'xorriso', 'launcher.test');
const base = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const newer = `${Number(base.split('.')[0]) + 1}.0.0`;

/**
 * Power cuts over the three loops below: a short slice in npm test, at least 100 in npm run
 * stress. An install is the slowest to cut (its copy, unpacking and sync take seconds), so
 * it gets a fifth; trial starts and rollbacks share the rest.
 */
const KILLS = Number(process.env.QKM_UPDATE_KILLS ?? 3);
const INSTALL_KILLS = Math.max(1, Math.round(KILLS / 5));
const TRIAL_KILLS = Math.max(1, Math.round((KILLS - INSTALL_KILLS) / 2));
const ROLLBACK_KILLS = Math.max(1, KILLS - INSTALL_KILLS - TRIAL_KILLS);
/** A loop's time-out: a generous bound per cut on a loaded machine (npm run stress bounds the whole run). */
const loopTime = (cuts: number, secondsEach: number) => 60_000 + cuts * secondsEach * 1000;
let dir: string;
let fullIso: string;

beforeAll(() => {
  dir = tempDir('qkm-launcher-');
  if (xorriso.skip) return;
  // The real thing: this checkout's software with its production dependencies, so the slot's qkmd runs.
  fullIso = path.join(dir, 'full.iso');
  const r = spawnSync(BUILD_UPDATE_ISO, ['--no-build', '--key', TEST_UPDATE_KEY_FILE, '--version', newer, '--out', fullIso], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});
afterEach(powerCutAll);
afterAll(() => removeDir(dir));

const setBoot = (dataDir: string, state: object) => writeFileSync(path.join(dataDir, 'software', 'boot.json'), JSON.stringify(state));
const boot = (dataDir: string) => JSON.parse(readFileSync(path.join(dataDir, 'software', 'boot.json'), 'utf8'));

/** A signed bundle of a "qkm" whose qkmd does `body` (a broken release). */
async function brokenRelease(name: string, version: string, body: string): Promise<string> {
  const root = path.join(dir, name);
  const pkg = path.join(dir, `${name}-pkg`);
  mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'qkm', version, type: 'module' }));
  writeFileSync(path.join(pkg, 'bin', 'qkmd.js'), body);
  const tgz = path.join(dir, `qkm-${version}.tgz`);
  await tar.c({ gzip: true, file: tgz, cwd: pkg }, ['package.json', 'bin']);
  await makeBundle(root, { version, files: { [`qkm-${version}.tgz`]: readFileSync(tgz) } });
  return root;
}

const options = (dataDir: string) => ({ dataDir, baseDir: PACKAGE_ROOT, publicKey: publicKeyHex(testUpdateKey()), now: Date.now });

describe('qkm-launcher and a trial boot', () => {
  it.skipIf(xorriso.skip)('a new version that comes up is marked good; the previous one stays the rollback target', async () => {
    const dataDir = path.join(dir, 'good');
    mkdirSync(dataDir);
    const r = qkmcmds(['--data-dir', dataDir, 'update', '--iso', fullIso]);
    expect(r.stderr).toBe('');
    const l = launch(dataDir);
    await until(l, /is healthy and marked good/);
    expect(runningVersion(l)).toBe(newer);
    expect(boot(dataDir)).toMatchObject({ active: 'a', previous: 'base', trial: null, failed: null });
    l.child.kill('SIGTERM');
    expect(await l.exited).toBe(0);
  });

  it('a new version that exits, or says nothing in time, is rolled back by the launcher and kept for support', async () => {
    const dataDir = path.join(dir, 'broken');
    mkdirSync(dataDir);
    const crash = await brokenRelease('crash', newer, 'process.stderr.write("cannot open the keystore\\n"); process.exit(3);\n');
    await applyUpdate(directorySource(crash), options(dataDir));
    const l = launch(dataDir);
    await until(l, new RegExp(`qkm ${newer} failed its trial \\(it exited \\(status 3\\) before it was healthy\\); rolled back to qkm ${base}`));
    await until(l, /^running;/m);
    expect(runningVersion(l)).toBe(base);
    expect(boot(dataDir)).toMatchObject({ active: 'base', previous: null, trial: null, failed: { slot: 'a', version: newer } });
    l.child.kill('SIGTERM');
    expect(await l.exited).toBe(0);
    const tickets = qkmcmds(['--data-dir', dataDir, 'tickets']);
    expect(tickets.stdout).toContain(`The update to qkm ${newer} failed its trial at `);
    expect(tickets.stdout).toContain(`(it exited (status 3) before it was healthy), so qkm ${base} was started again; the failed version is kept in software slot a for support.`);

    const silent = await brokenRelease('silent', `${newer.split('.')[0]}.1.0`, 'setInterval(() => {}, 1000);\n');
    await applyUpdate(directorySource(silent), options(dataDir));
    const l2 = launch(dataDir, { QKM_UPDATE_TRIAL_SECONDS: '5' });
    await until(l2, /failed its trial \(it was not healthy within 5 s\); rolled back to qkm /);
    await until(l2, /^running;/m);
    expect(runningVersion(l2)).toBe(base);
    l2.child.kill('SIGTERM');
    expect(await l2.exited).toBe(0);
    // The first failure's slot was installed over: its ticket closed, the new failure's is open.
    const open = qkmcmds(['--data-dir', dataDir, 'tickets']).stdout;
    expect(open).not.toContain(`qkm ${newer} failed`);
    expect(open).toContain('not healthy within 5 s');

    // A damaged boot record still starts a box: the base software, said once.
    writeFileSync(path.join(dataDir, 'software', 'boot.json'), '{"active": "a", "trial"');
    const l3 = launch(dataDir);
    await until(l3, /^running;/m);
    expect(runningVersion(l3)).toBe(base);
    expect(l3.out()).toMatch(/The software slot record .*boot\.json is unreadable \(.*\); remove it, which starts the base software, and install the update again\. Starting the base software/);
    l3.child.kill('SIGTERM');
    expect(await l3.exited).toBe(0);
  });

  it('a new version that says it is running but whose key server answers no KMIP request is rolled back', async () => {
    const dataDir = path.join(dir, 'no-kmip');
    mkdirSync(dataDir);
    // The base version once, as on a box in service: the appliance CA the health check's certificate comes from.
    const first = launch(dataDir);
    await until(first, /^running;/m);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // It listens where it says, and hangs up on every connection: no TLS, no KMIP.
    const mute = await brokenRelease('mute', newer, [
      "import net from 'node:net';",
      'const s = net.createServer((c) => c.destroy()).listen(0, "127.0.0.1", () => {',
      '  process.stdout.write("key server listening on 127.0.0.1:" + s.address().port + " (KMIP over TLS)\\nrunning; stop with Ctrl-C or SIGTERM\\n");',
      '});',
    ].join('\n'));
    await applyUpdate(directorySource(mute), options(dataDir));
    const l = launch(dataDir, { QKM_UPDATE_TRIAL_SECONDS: '5' });
    await until(l, new RegExp(`qkm ${newer} failed its trial \\(it was not healthy within 5 s \\(its key server on 127\\.0\\.0\\.1:\\d+ did not answer a KMIP Discover Versions: [^)]*\\)\\); rolled back to qkm ${base}`));
    // The mute release said "running;" too: wait for the base version's own.
    await until(l, new RegExp(`^qkmd ${base.replaceAll('.', '\\.')}: server[\\s\\S]*^running;`, 'm'));
    expect(runningVersion(l)).toBe(base);
    expect(l.out()).not.toContain('marked good');
    expect(boot(dataDir)).toMatchObject({ active: 'base', failed: { slot: 'a', version: newer } });
    l.child.kill('SIGTERM');
    expect(await l.exited).toBe(0);
  });

  it.skipIf(xorriso.skip)(`power cuts during an install (${INSTALL_KILLS}): the box starts the old version or the new, and the next install completes`, { timeout: loopTime(INSTALL_KILLS, 30) }, async () => {
    const dataDir = path.join(dir, 'install-cuts');
    mkdirSync(dataDir);
    for (let i = 0; i < INSTALL_KILLS; i++) {
      const r = spawn(process.execPath, [QKMCMDS, '--data-dir', dataDir, 'update', '--iso', fullIso], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
      const done = new Promise((resolve) => r.on('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 6000));
      r.kill('SIGKILL');
      await done;
      const l = launch(dataDir);
      await until(l, /^running;/m);
      // Killed before its switch, the install changed nothing the launcher reads; after it, the new version is on trial.
      const b = existsSync(path.join(dataDir, 'software', 'boot.json')) ? boot(dataDir) : { active: 'base' };
      expect(runningVersion(l)).toBe(b.active === 'base' ? base : newer);
      l.child.kill('SIGTERM');
      expect(await l.exited).toBe(0);
      if (b.active !== 'base') setBoot(dataDir, { active: 'base', previous: null, trial: null, failed: null });
    }
    const r = qkmcmds(['--data-dir', dataDir, 'update', '--iso', fullIso]);
    expect(r.stderr).toBe('');
    expect(readdirSync(path.join(dataDir, 'software')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it.skipIf(xorriso.skip)(`power cuts while a trial starts (${TRIAL_KILLS}): the next start runs the old version or the new, never neither`, { timeout: loopTime(TRIAL_KILLS, 15) }, async () => {
    // The slot the first test installed, on trial again as the install left it (installing anew takes seconds).
    const dataDir = path.join(dir, 'good');
    for (let i = 0; i < TRIAL_KILLS; i++) {
      setBoot(dataDir, { active: 'a', previous: 'base', trial: { since: new Date().toISOString(), starts: i % 3 }, failed: null });
      const cut = launch(dataDir);
      await new Promise((r) => setTimeout(r, Math.random() * 3000));
      powerCut(cut.child);
      await cut.exited;
      const l = launch(dataDir);
      await until(l, /^running;/m);
      expect([base, newer]).toContain(runningVersion(l));
      l.child.kill('SIGTERM');
      expect(await l.exited).toBe(0);
    }
  });

  it.skipIf(xorriso.skip)(`power cuts during a rollback and the restart it asks for (${ROLLBACK_KILLS}): the box starts the old version or the new, never neither`, { timeout: loopTime(ROLLBACK_KILLS, 20) }, async () => {
    // The slot the first test installed, marked good: what a rollback starts from.
    const dataDir = path.join(dir, 'good');
    for (let i = 0; i < ROLLBACK_KILLS; i++) {
      setBoot(dataDir, { active: 'a', previous: 'base', trial: null, failed: null });
      // The box in service, and the rollback run at once: the cut may land while qkmd starts,
      // while the CD is verified, at the switch, or while the launcher restarts qkmd.
      const box = launch(dataDir);
      const r = spawn(process.execPath, [QKMCMDS, '--data-dir', dataDir, 'rollback', '--iso', fullIso], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
      const done = new Promise((resolve) => r.on('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5000));
      r.kill('SIGKILL');
      powerCut(box.child);
      await Promise.all([done, box.exited]);
      const l = launch(dataDir);
      await until(l, /^running;/m);
      const b = boot(dataDir);
      // Either the record as it was (the new version) or the rollback's (the old one, no way back further).
      const seen = { active: b.active, previous: b.previous, trial: b.trial, failed: b.failed, running: runningVersion(l) };
      expect(seen).toEqual(b.active === 'a'
        ? { active: 'a', previous: 'base', trial: null, failed: null, running: newer }
        : { active: 'base', previous: null, trial: null, failed: null, running: base });
      l.child.kill('SIGTERM');
      expect(await l.exited).toBe(0);
    }
    setBoot(dataDir, { active: 'a', previous: 'base', trial: null, failed: null });
    const r = qkmcmds(['--data-dir', dataDir, 'rollback', '--iso', fullIso]);
    expect(r.stderr).toBe('');
    expect(boot(dataDir)).toMatchObject({ active: 'base', previous: null });
  });
});
