import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { acceptLicence } from '../../src/admin/eula.js';
import { realWorld } from '../../src/engine/index.js';
import { initBackupKey, TEST_PASSPHRASE } from '../helpers/backup-key.js';
import { type CliResult, qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { TmuxConsole } from '../helpers/tmux-console.js';
import { needsTool } from '../helpers/tools.js';

const tmuxTool = needsTool('tmux', 'tmux', 'console-tmux.test');
const run = (dataDir: string, args: string[], input?: string): CliResult => qkmcmds(['--data-dir', dataDir, ...args], {}, input);

let template: string;
let dir: string;
let daemon: Awaited<ReturnType<typeof startQkmd>> | undefined;
const term = new TmuxConsole();

// A data directory made by a real qkmd, with LIB1's keys and a backup key; each test works on a copy.
beforeAll(async () => {
  template = tempDir('qkm-console-template-');
  const d = await startQkmd(['--data-dir', template]);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  expect(run(template, ['keys', 'generate', '--library', 'LIB1', '--class', 'i500']).code).toBe(0);
  initBackupKey(template);
});
afterAll(() => removeDir(template));
beforeEach(() => {
  dir = tempDir('qkm-console-');
  cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
});
afterEach(async () => {
  term.kill();
  daemon?.child.kill('SIGTERM');
  await daemon?.exited;
  daemon = undefined;
  removeDir(dir);
});

const logs = (): string => readdirSync(path.join(dir, 'logs')).map((f) => readFileSync(path.join(dir, 'logs', f), 'utf8')).join('');
const dryRun = (): string => (existsSync(path.join(dir, 'system', 'dry-run.jsonl')) ? readFileSync(path.join(dir, 'system', 'dry-run.jsonl'), 'utf8') : '');

/** Logs in with `password`, says y to the warning, and waits for the menu. */
async function logIn(password = 'password'): Promise<void> {
  term.start(dir);
  await term.waitFor(/Password for akmadmin: $/m);
  await term.answer(password, /Go on\? \[y\/N\] $/m);
  await term.answer('y', /^Choice: $/m);
}

it.skipIf(tmuxTool.skip)('first run: the licence page by page, accepted with y, then the wizard; nothing typed is echoed and q applies it all', async () => {
  term.start(dir);
  await term.waitFor(/Password for akmadmin: $/m);
  let screen = await term.answer('password', /-- Enter: one more line, end: the next page -- $/m);
  expect(screen).toMatch(/default password/);
  expect(screen).toMatch(/^qkm KEY MANAGER SOFTWARE LICENCE/m);
  expect(screen).not.toMatch(/9\. Ending/);
  // Enter shows one more line; "end" the next page.
  screen = await term.answer('', /-- Enter: one more line, end: the next page -- $/m);
  screen = await term.answer('end', /Do you accept the licence\? \[y\/N\] $/m);
  expect(screen).toMatch(/^9\. Ending/m);
  for (const line of term.visible().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  screen = await term.answer('y', /Go on\? \[y\/N\] $/m);
  expect(screen).toMatch(/Licence accepted on 20\d\d-/);
  screen = await term.answer('y', /Current password \(Enter keeps it\): $/m);
  expect(screen).toMatch(/qkmd is not running/);
  expect(screen).toMatch(/cannot be recovered/);
  await term.answer('password', /New password: $/m);
  await term.answer('s3cret-pass', /The same password again: $/m);
  await term.answer('s3cret-pass', /Time zone: \[UTC\] $/m);
  await term.answer('Mars/Olympus_Mons', /"Mars\/Olympus_Mons" is not a time zone.*\n(.*\n)*Choice: $/m);
  // The wizard stopped at the bad answer: nothing staged after it; run it again.
  await term.answer('1', /Current password \(Enter keeps it\): $/m);
  await term.answer('', /Time zone: \[UTC\] $/m);
  await term.answer('Europe/Paris', /Date and time .*: $/m);
  await term.answer('', /Port 2 IP address: \[192\.168\.18\.4\] $/m);
  await term.answer('10.20.30.40', /Netmask: \[255\.255\.255\.0\] $/m);
  await term.answer('', /Gateway: \[192\.168\.18\.1\] $/m);
  screen = await term.answer('10.20.31.1', /is not another address of the subnet.*\n(.*\n)*Choice: $/m);
  await term.answer('3', /Port 2 IP address: \[192\.168\.18\.4\] $/m);
  await term.answer('10.20.30.40', /Netmask: /m);
  await term.answer('', /Gateway: /m);
  screen = await term.answer('10.20.30.1', /^Choice: $/m);
  expect(screen).toMatch(/Staged \(applied at q\): password; time zone Europe\/Paris; port 2 10\.20\.30\.40 netmask 255\.255\.255\.0 gateway 10\.20\.30\.1/);
  expect(dryRun()).toBe('');
  screen = await term.answer('q', /\[exit 0\]/);
  expect(screen).toMatch(/The password of akmadmin is changed\./);
  expect(screen).toMatch(/Each tape library using this server must now learn it/);
  expect(dryRun()).toContain('"command":["ip","address","add","10.20.30.40/24","dev","eth1"]');
  expect(dryRun()).toContain('"command":["timedatectl","set-timezone","Europe/Paris"]');
  // The password is typed without echo and kept nowhere in clear.
  expect(term.screen()).not.toContain('s3cret-pass');
  expect(logs()).not.toContain('s3cret-pass');
  const stored = readFileSync(path.join(dir, 'console', 'akmadmin.scrypt.json'), 'utf8');
  expect(stored).toMatch(/"algorithm":"scrypt"/);
  expect(stored).not.toContain('s3cret-pass');
  expect(run(dir, ['-E']).stdout).toMatch(/^Accepted on 20\d\d-\d\d-\d\dT/m);

  // The old password no longer opens the console; the new one does, with no licence now.
  term.start(dir);
  await term.waitFor(/Password for akmadmin: $/m);
  await term.answer('password', /Wrong password\.\n(.*\n)*Password for akmadmin: $/m);
  screen = await term.answer('s3cret-pass', /Go on\? \[y\/N\] $/m);
  expect(screen).not.toMatch(/LICENCE/);
  expect(logs()).toMatch(/console login refused: wrong password/);
});

it.skipIf(tmuxTool.skip)('a host name change: staged with the key service stopped, nothing applied when the pane is closed, applied by q; one console at a time', async () => {
  acceptLicence(dir, realWorld);
  daemon = await startQkmd(['--data-dir', dir]);
  await logIn();
  expect(run(dir, ['key-service', 'status']).stdout).toMatch(/key service is stopped/);
  // A second administrator is refused while the first is in the menu.
  const second = run(dir, [], 'password\n');
  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(/^qkmcmds: The administrator's console is already running \(pid \d+\)/);
  expect(second.stderr.trim().split('\n')).toHaveLength(1);

  await term.answer('6', /Host name: \[qkmserver\] $/m);
  let screen = await term.answer('bad_name!', /"bad_name!" is not a host name.*\n(.*\n)*Choice: $/m);
  await term.answer('6', /Host name: \[qkmserver\] $/m);
  screen = await term.answer('qkm-east', /^Choice: $/m);
  expect(screen).toMatch(/Staged \(applied at q\): host name qkm-east/);
  // The pane is closed mid-change (SIGHUP): nothing is applied, the key service serves again.
  term.tmux('kill-session', '-t', term.name);
  await expect.poll(() => run(dir, ['key-service', 'status']).stdout, { timeout: 10_000 }).toMatch(/key service is running/);
  expect(dryRun()).toBe('');
  expect(existsSync(path.join(dir, 'system', 'settings.json'))).toBe(false);

  // Killed outright (SIGKILL): its lock dies with it, and the next session gets the console.
  await logIn();
  const pid = Number(readFileSync(path.join(dir, 'console', 'session.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  await term.waitFor(/\[exit 137\]/);
  await logIn();
  await term.answer('6', /Host name: \[qkmserver\] $/m);
  await term.answer('qkm-east', /^Choice: $/m);
  screen = await term.answer('q', /\[exit 0\]/);
  expect(screen).toMatch(/Applied: host name qkm-east \(dry run/);
  expect(screen).toMatch(/The key service is running again\./);
  expect(dryRun()).toContain('"command":["hostnamectl","set-hostname","qkm-east"]');
  expect(JSON.parse(readFileSync(path.join(dir, 'system', 'settings.json'), 'utf8')).hostname).toBe('qkm-east');
  expect(run(dir, ['key-service', 'status']).stdout).toMatch(/key service is running/);
  expect(logs()).toMatch(/"audit":"system-setting-changed","setting":"hostname","value":"qkm-east"/);
});

it.skipIf(tmuxTool.skip)('a backup and a restore from the menu', async () => {
  acceptLicence(dir, realWorld);
  await logIn();
  let screen = await term.answer('7', /Folder for the backup files: \[.*\] $/m);
  screen = await term.answer('', /^Choice: $/m);
  const files = [...screen.matchAll(/^ {2}(\/\S+\/QKM(App|Data)\S+\.tgz)$/gm)].map((m) => m[1]!);
  expect(screen).toMatch(/Backed up \d+ keys/);
  expect(files).toHaveLength(2);
  // The console's password hash is never in a backup.
  for (const f of files) expect(execFileSync('tar', ['-tzvf', f], { encoding: 'utf8' })).not.toMatch(/console|scrypt|akmadmin/);
  expect(run(dir, ['keys', 'generate', '--library', 'LIB2', '--class', 'i500']).code).toBe(0);

  await term.answer('8', /The QKMApp file: $/m);
  await term.answer(files.find((f) => f.includes('QKMApp'))!, /The QKMData file: $/m);
  // The live keystore has more keys than the backup (LIB2's): asked, then the passphrase.
  await term.answer(files.find((f) => f.includes('QKMData'))!, /Restore it all the same\? \[y\/N\] $/m);
  await term.answer('y', /Passphrase of backup key \S+: $/m);
  screen = await term.answer(TEST_PASSPHRASE, /^Choice: $/m);
  expect(screen).toMatch(/Restored \d+ keys of server/);
  expect(screen).toMatch(/kept aside in/);
  expect(term.screen()).not.toContain(TEST_PASSPHRASE);
  screen = await term.answer('k', /^Choice: $/m);
  expect(screen).toMatch(/^ {2}\S+ +\d+\.\d MiB .* keys$/m);
  // The restored keystore has LIB1 and not LIB2, which came after the backup.
  await term.answer('x', /\[exit 0\]/);
  expect(run(dir, ['keys', 'status']).stdout).not.toMatch(/LIB2/);
});

it.skipIf(tmuxTool.skip)('three wrong passwords end the session with one sentence, each audited; garbage at the menu is one sentence and the menu again', async () => {
  acceptLicence(dir, realWorld);
  term.start(dir);
  await term.waitFor(/Password for akmadmin: $/m);
  await term.answer('guess-1', /Wrong password\.\n(.*\n)*Password for akmadmin: $/m);
  await term.answer('guess-2', /Wait 1 s: the last passwords were wrong\.\n(.*\n)*Password for akmadmin: $/m);
  const screen = await term.answer('guess-3', /\[exit 1\]/);
  expect(screen).toMatch(/^qkmcmds: 3 wrong passwords; nothing was changed\. A forgotten password cannot be recovered\.$/m);
  expect(logs().match(/console login refused: wrong password/g)).toHaveLength(3);
  expect(logs()).not.toMatch(/guess-\d/);

  // The right password now waits its turn (the failures count across sessions), then opens the menu.
  term.start(dir);
  await term.waitFor(/Wait 2 s: the last passwords were wrong\.\n(.*\n)*Password for akmadmin: $/m);
  await term.answer('password', /Go on\? \[y\/N\] $/m);
  await term.answer('y', /^Choice: $/m);
  await term.answer('zz', /^"zz" is not on the menu; type one of 1, 2, 3, 4, 5, 6, 7, 8, 9, c, k, q or x\.\n(.*\n)*Choice: $/m);
  await term.answer('5', /Date and time .*: $/m);
  await term.answer('2026-02-30 10:00', /"2026-02-30 10:00" is not a date and time.*\n(.*\n)*Choice: $/m);
  await term.answer('x', /\[exit 0\]/);
  expect(dryRun()).toBe('');

  // Each try, each refusal and the session's end are in the audit log's chain, as akmadmin's.
  const audit = readFileSync(path.join(dir, 'logs', 'audit.log'), 'utf8');
  const acts = audit.trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string; actor: string });
  expect(acts.filter((a) => a.action.startsWith('console')).map((a) => `${a.action}: ${a.outcome}`)).toEqual([
    'console login: refused', 'console login: refused', 'console login: refused', 'console login: done',
    'console menu: refused', 'console date and time: refused', 'console left without applying: done',
  ]);
  expect(acts.every((a) => !a.action.startsWith('console') || a.actor === 'akmadmin')).toBe(true);
  expect(audit).not.toMatch(/guess-\d/);
  expect(JSON.parse(run(dir, ['audit', 'verify', '--json']).stdout)).toMatchObject({ intact: true });
});
