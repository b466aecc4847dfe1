import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE } from '../helpers/backup-key.js';
import { type CliResult, QKMCMDS, qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { REPO } from '../helpers/worker.js';

let template: string;
let dir: string;
const ENV = { QKM_KEYS_I500: '20' };
/** qkmcmds on `dataDir`, with `input` as its standard input. */
const cmd = (dataDir: string, args: string[], input?: string): CliResult => qkmcmds(['--data-dir', dataDir, ...args], ENV, input);
const run = (args: string[], input?: string): CliResult => cmd(dir, args, input);

// One data directory made by a real qkmd, with LIB1's 20 keys; each test works on a copy of it.
beforeAll(async () => {
  template = tempDir('qkm-seal-template-');
  const d = await startQkmd(['--data-dir', template]);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  expect(cmd(template, ['keys', 'generate', '--library', 'LIB1', '--class', 'i500']).code).toBe(0);
});
afterAll(() => removeDir(template));
beforeEach(() => {
  dir = tempDir('qkm-seal-cli-');
  cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
});
afterEach(() => removeDir(dir));

function expectOneSentence(r: CliResult, re: RegExp): void {
  expect(r.code, r.stdout).toBe(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
}

function backupPair(to: string): [string, string] {
  const b = run(['backup', '--to', to]);
  expect(b.code, b.stderr).toBe(0);
  const [app, data] = readdirSync(to).sort().map((f) => path.join(to, f));
  return [app!, data!];
}

/** Every byte the box holds under its data directory, logs included. */
function allFilesUnder(root: string): Buffer {
  const parts: Buffer[] = [];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    if (e.isFile()) parts.push(readFileSync(p));
  }
  return Buffer.concat(parts);
}

/**
 * Runs qkmcmds on a real pseudo-terminal (script(1)) and types each answer once its
 * prompt has appeared, as a person would; resolves with the exit status and the screen.
 */
function onTerminal(args: string[], answers: [prompt: string, typed: string][]): Promise<{ code: number | null; screen: string }> {
  const child = spawn('script', ['-qec', [process.execPath, QKMCMDS, '--data-dir', dir, ...args].join(' '), '/dev/null'], { env: { PATH: process.env.PATH ?? '', ...ENV } });
  let screen = '';
  let next = 0;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    // Each prompt is answered once, when it is the newest thing on the screen.
    while (next < answers.length && screen.trimEnd().endsWith(answers[next]![0].trimEnd())) child.stdin.write(`${answers[next++]![1]}\r`);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

const keystoreLink = (): string => readlinkSync(path.join(dir, 'keystore'));

describe('qkmcmds backup-key and sealed backups', () => {
  it('backup is refused until a backup key is set up; then a passphrase seals it and restore asks for it', async () => {
    const to = path.join(dir, 'offsite');
    expectOneSentence(run(['backup', '--to', to]), /^qkmcmds: No backup key is set up, and without one a backup would hold the master key in clear; set one up once with "qkmcmds backup-key init --shares 2-of-3" \(or --passphrase\), then back up again\.$/m);
    expect(existsSync(to)).toBe(false);
    expect(run(['backup-key', 'status']).stdout).toMatch(/^No backup key is set up, so backups are refused/);

    expectOneSentence(run(['backup-key', 'init', '--passphrase'], 'short\n'), /passphrase is shorter than 12 characters/);
    const init = run(['backup-key', 'init', '--passphrase'], `${TEST_PASSPHRASE}\n`);
    expect(init.code, init.stderr).toBe(0);
    const id = /Backup key ([0-9a-f]{8}) is set up from your passphrase/.exec(init.stdout)![1]!;
    expect(allFilesUnder(dir).includes(Buffer.from(TEST_PASSPHRASE))).toBe(false);
    expectOneSentence(run(['backup-key', 'init', '--passphrase'], `${TEST_PASSPHRASE}\n`), new RegExp(`A backup key ${id} \\(a passphrase; .*\\) is already set up; add --replace`));

    const [app, data] = backupPair(to);
    expect(statSync(app).mode & 0o777).toBe(0o600);
    const unpacked = tempDir('qkm-stolen-');
    await tar.x({ file: app, cwd: unpacked });
    const master = readFileSync(path.join(dir, 'keystore', 'master.key'));
    const stolen = Buffer.concat([allFilesUnder(unpacked), readFileSync(app), readFileSync(data)]);
    removeDir(unpacked);
    for (const form of [master, Buffer.from(master.toString('hex')), Buffer.from(master.toString('base64'))]) expect(stolen.includes(form)).toBe(false);

    const link = keystoreLink();
    expectOneSentence(run(['restore', app, data], 'correct horse battery stapler\n'), new RegExp(`^qkmcmds: That passphrase does not open backup key ${id}, to which this backup is sealed`, 'm'));
    expectOneSentence(run(['restore', app, data]), /^qkmcmds: No passphrase was given; type it on a terminal, or send it on standard input/m);
    expect(keystoreLink()).toBe(link);

    const r = run(['restore', app, data], `${TEST_PASSPHRASE}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Restored 20 keys of server SIM/);
    expect(readFileSync(path.join(dir, 'keystore', 'master.key')).equals(master)).toBe(true);
  });

  it('recovery shares are printed once and kept nowhere; any 2 of 3 restore, on a replacement server too', async () => {
    const init = run(['backup-key', 'init', '--shares', '2-of-3']);
    expect(init.code, init.stderr).toBe(0);
    const shares = [...init.stdout.matchAll(/share \d of 3: (qkm1-\S+)/g)].map((m) => m[1]!);
    expect(shares).toHaveLength(3);
    expect(init.stdout.indexOf(shares[2]!)).toBeLessThan(init.stdout.indexOf('is set up.')); // shown before kept
    const id = /Backup key ([0-9a-f]{8}): 3 recovery shares, any 2 of which restore a backup/.exec(init.stdout)![1]!;
    const box = allFilesUnder(dir);
    for (const s of shares) {
      expect(box.includes(Buffer.from(s))).toBe(false);
      expect(box.includes(Buffer.from(s.split('-').slice(4, 12).join('')))).toBe(false);
    }

    const [app, data] = backupPair(path.join(dir, 'offsite'));
    const link = keystoreLink();
    expectOneSentence(run(['restore', app, data], `${shares[0]}\n`), new RegExp(`^qkmcmds: Backup key ${id} needs 2 of its 3 shares, but 1 was given`, 'm'));
    const typo = shares[1]!.replace(/-([0-9a-f]{8})-([0-9a-f]{8})$/, (_, last: string, check: string) => `-${last[0] === '0' ? '1' : '0'}${last.slice(1)}-${check}`);
    expectOneSentence(run(['restore', app, data], `${shares[0]}\n${typo}\n`), /^qkmcmds: Share 2 has a typing mistake/m);
    expect(keystoreLink()).toBe(link);

    // A replacement server: no backup key of its own yet; after the restore it seals to the same one.
    const spare = tempDir('qkm-spare-');
    try {
      const s = cmd(spare, ['restore', '--allow-other-server', app, data], `${shares[1]}\n${shares[2]}\n`);
      expect(s.code, s.stderr).toBe(0);
      expect(s.stdout).toContain(`New backups will be sealed to the same backup key as this one (${id}).`);
      expect(cmd(spare, ['backup-key', 'status']).stdout).toMatch(new RegExp(`^Backups are sealed to backup key ${id} \\(recovery shares, any 2 of 3;`));
      expect(cmd(spare, ['backup', '--to', path.join(spare, 'b')]).stdout).toContain(`sealed to backup key ${id}`);
    } finally {
      removeDir(spare);
    }
  });

  it('on a terminal the passphrase is asked for twice at set-up, once at restore, shares one by one, and none is shown', async () => {
    const init = await onTerminal(['backup-key', 'init', '--passphrase'], [['New backup passphrase:', TEST_PASSPHRASE], ['The same passphrase again:', TEST_PASSPHRASE]]);
    expect(init.code, init.screen).toBe(0);
    const id = /Backup key ([0-9a-f]{8}) is set up from your passphrase/.exec(init.screen)![1]!;
    const [app, data] = backupPair(path.join(dir, 'offsite'));
    const r = await onTerminal(['restore', app, data], [[`Passphrase of backup key ${id}:`, TEST_PASSPHRASE]]);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toMatch(/Restored 20 keys/);
    expect(init.screen + r.screen).not.toContain(TEST_PASSPHRASE);

    const shares = [...run(['backup-key', 'init', '--shares', '2-of-3', '--replace']).stdout.matchAll(/share \d of 3: (qkm1-\S+)/g)].map((m) => m[1]!);
    const [app2, data2] = backupPair(path.join(dir, 'offsite2'));
    const s = await onTerminal(['restore', app2, data2], [['Share 1 of 2:', shares[1]!], ['Share 2 of 2:', shares[0]!]]);
    expect(s.code, s.screen).toBe(0);
    expect(s.screen).toMatch(/give 2 of its 3 recovery shares[\s\S]*Restored 20 keys/);
    for (const share of shares) expect(s.screen).not.toContain(share);
  });

  it('a format 1 backup (master key in clear) still restores, with advice to replace it', () => {
    const fixture = path.join(REPO, 'test', 'fixtures', 'backup-format1');
    const [app, data] = readdirSync(fixture).filter((f) => f.endsWith('.tgz')).sort().map((f) => path.join(fixture, f));
    // The box's own keystore has more keys than the old backup: replacing it is confirmed.
    const r = run(['restore', '--allow-other-server', '--yes', app!, data!]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Restored 8 keys of server SIMA4873355B3/);
    expect(r.stdout).toContain('holds its master key in clear: take a new backup now and destroy every copy of the old one.');
  });
});
