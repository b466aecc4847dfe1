import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qkmcmds } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { needsTool } from '../helpers/tools.js';
import { BUILD_UPDATE_ISO, TEST_UPDATE_KEY_FILE, strangerKeyFile } from '../helpers/update.js';
import { REPO } from '../helpers/worker.js';

const xorriso = needsTool('xorriso', 'xorriso', 'update.test');
const installed = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const newer = `${Number(installed.split('.')[0]) + 1}.0.0`;

let dir: string;
let dataDir: string;
const iso = (name: string) => path.join(dir, `${name}.iso`);

/** scripts/build-update-iso as a vendor runs it (dist/ is already built by the test run). */
function buildIso(name: string, ...args: string[]): void {
  const r = spawnSync(BUILD_UPDATE_ISO, ['--no-build', '--no-node-modules', '--out', iso(name), ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

/** Every file of the data directory but the logs and the updates' (empty) lock file, with its size and time: what "nothing changed" compares. */
function snapshot(): string[] {
  const walk = (d: string): string[] => readdirSync(d).filter((n) => n !== 'logs' && n !== 'update.lock').flatMap((n) => {
    const p = path.join(d, n);
    const st = statSync(p);
    return st.isDirectory() ? [`${p}/`, ...walk(p)] : [`${p} ${st.size} ${st.mtimeMs}`];
  });
  return walk(dataDir);
}

const check = (file: string) => qkmcmds(['--data-dir', dataDir, 'update', '--check', '--iso', file]);
const install = (file: string) => qkmcmds(['--data-dir', dataDir, 'update', '--iso', file]);

beforeAll(() => {
  if (xorriso.skip) return;
  if (xorriso.missing) throw new Error('QKM_REQUIRE_TOOLS=1 but xorriso is not installed; apt-get install -y xorriso');
  dir = tempDir('qkm-update-cli-');
  dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  writeFileSync(path.join(dataDir, 'serial'), 'SIMTEST0001\n');
  const staging = path.join(dir, 'staging');
  buildIso('good', '--key', TEST_UPDATE_KEY_FILE, '--version', newer, '--staging', staging);
  buildIso('stranger', '--key', strangerKeyFile(dir), '--version', newer);
  buildIso('older', '--key', TEST_UPDATE_KEY_FILE, '--version', '0.0.1');

  // One byte flipped in the middle of the payload, where the ISO holds it.
  const payload = readFileSync(path.join(staging, `qkm-update-${newer}`, `qkm-${newer}.tgz`));
  const image = readFileSync(iso('good'));
  const at = image.indexOf(payload.subarray(0, 4096));
  expect(at).toBeGreaterThan(0);
  image[at + (payload.length >> 1)]! ^= 0x01;
  writeFileSync(iso('tampered'), image);

  // Cut short: the last quarter of the image is gone.
  writeFileSync(iso('truncated'), readFileSync(iso('good')).subarray(0, Math.floor(image.length * 0.75)));

  // The same bundle without its signature, made into a CD the way the script does.
  const unsigned = path.join(dir, 'unsigned');
  cpSync(staging, unsigned, { recursive: true });
  rmSync(path.join(unsigned, `qkm-update-${newer}`, 'manifest.json.sig'));
  const mk = spawnSync('xorriso', ['-as', 'mkisofs', '-quiet', '-r', '-J', '-o', iso('unsigned'), unsigned], { encoding: 'utf8' });
  expect(mk.status, mk.stderr).toBe(0);
});
afterAll(() => {
  if (dir) removeDir(dir);
});

describe('qkmcmds update [--check] --iso and rollback on ISOs made by scripts/build-update-iso', () => {
  it.skipIf(xorriso.skip)('a newer bundle signed by the trusted key: says what it is and that it would be installed', () => {
    const r = check(iso('good'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Update on the CD image ${iso('good')}: qkm ${newer}, signed by the configured update key`);
    expect(r.stdout).toContain(`Installed: qkm ${installed},`);
    expect(r.stdout).toMatch(/It would be installed: the signature, and the size and sha256 of every payload file, are verified\.\n$/);
  });

  const refusals: [string, RegExp][] = [
    ['stranger', /is not signed by the update key this appliance trusts, or was altered after signing; it is refused\./],
    ['tampered', new RegExp(`qkm-${newer.replaceAll('.', '\\.')}\\.tgz of the update .* does not match the sha256 in its signed manifest`)],
    ['unsigned', /is not signed \(no manifest\.json\.sig\), so it cannot be trusted/],
    ['truncated', /The CD image .* is cut short: it holds \d+ bytes of a \d+-byte volume; copy or burn it again\./],
    ['older', new RegExp(`The update is version 0\\.0\\.1, not newer than the installed version ${installed.replaceAll('.', '\\.')}`)],
  ];
  for (const [name, why] of refusals) {
    it.skipIf(xorriso.skip)(`${name}: checked or installed, refused in one sentence, exit status 1, nothing on the box changed`, () => {
      const before = snapshot();
      for (const r of [check(iso(name)), install(iso(name))]) {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^qkmcmds: [^\n]+\.\n$/);
        expect(r.stderr).toMatch(why);
        // Named as the CD, even when refused from the copy an install verifies.
        if (name !== 'older') expect(r.stderr).toContain(iso(name));
      }
      expect(snapshot()).toEqual(before);
    });
  }

  it.skipIf(xorriso.skip)('no such ISO, or no --iso and no qkmd to read the drive: one sentence, exit status 1', () => {
    const r = check(path.join(dir, 'nope.iso'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^qkmcmds: [^\n]*nope\.iso[^\n]*\.\n$/);
    const none = qkmcmds(['--data-dir', dataDir, 'update', '--check']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`qkmcmds: qkmd is not running on ${dataDir}, and it is qkmd that reads the CD drive; start it (qkm-launcher, or npm start), or give the CD as an image with --iso FILE.\n`);
  });

  it.skipIf(xorriso.skip)('installed into a slot on trial; the same CD is then not newer; rollback needs the installed version\'s CD', () => {
    const r = install(iso('good'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`Installed qkm ${newer} in slot a, on trial; qkm ${installed} stays as the version to roll back to.`);
    expect(r.stdout).toContain('no launcher is running now');
    const boot = JSON.parse(readFileSync(path.join(dataDir, 'software', 'boot.json'), 'utf8'));
    expect(boot).toMatchObject({ active: 'a', previous: 'base', trial: { starts: 0 }, failed: null });
    expect(JSON.parse(readFileSync(path.join(dataDir, 'software', 'a', 'package.json'), 'utf8')).version).toBe(newer);
    expect(readdirSync(path.join(dataDir, 'software')).sort()).toEqual(['a', 'boot.json']);

    expect(check(iso('good')).stderr).toContain(`The update is version ${newer}, not newer than the installed version ${newer}`);
    const status = qkmcmds(['--data-dir', dataDir, 'update', '--status']).stdout;
    expect(status).toMatch(new RegExp(`^Running: qkm ${newer.replaceAll('.', '\\.')} \\(slot a\\), on trial since \\S+\\.\nRollback returns to: qkm ${installed.replaceAll('.', '\\.')} \\(slot base\\)\\.\n$`));
    const before = snapshot();
    const wrong = qkmcmds(['--data-dir', dataDir, 'rollback', '--iso', iso('older')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`qkmcmds: The CD holds qkm 0.0.1, but qkm ${newer} is installed; a rollback needs the CD of the installed version.\n`);
    expect(snapshot()).toEqual(before);

    const back = qkmcmds(['--data-dir', dataDir, 'rollback', '--iso', iso('good')]);
    expect(back.stderr).toBe('');
    expect(back.stdout).toContain(`Rolled back from qkm ${newer} to qkm ${installed}.`);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'software', 'boot.json'), 'utf8'))).toMatchObject({ active: 'base', previous: null, trial: null });
    const again = qkmcmds(['--data-dir', dataDir, 'rollback', '--iso', iso('good')]);
    expect(again.stderr).toMatch(/^qkmcmds: The CD holds qkm [\d.]+, but qkm [\d.]+ is installed; a rollback needs the CD of the installed version\.\n$/);
  });
});
