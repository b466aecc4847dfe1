import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QKMCMDS, qkmcmds, startQkmd } from '../helpers/cli.js';
import { TEST_PASSPHRASE, initBackupKey } from '../helpers/backup-key.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { mountTmpfs, tmpfsUnavailable, unmount } from '../helpers/tmpfs.js';

/**
 * Backup and restore as an administrator meets them: a --to that cannot take the files,
 * real qkmcmds processes killed with SIGKILL at random moments, and what the next run
 * (or qkmd's start-up) must have cleared: no work folder, no partial file, no master key
 * anywhere but the live keystore and the copies restores kept aside, backups only in pairs.
 * The long version of the kill loops is scripts/stress.sh (QKM_BACKUP_KILLS).
 */
const KILLS = Number(process.env.QKM_BACKUP_KILLS ?? 3);
/** Each kill costs a few process starts and a backup or restore: budget for it. */
const LOOP_TIMEOUT_MS = 30_000 + KILLS * 8_000;
// Large enough that a backup or restore takes a while, so a kill can land inside it.
const ENV = { QKM_KEYS_I2000: '20000' };

let root: string;
let dataDir: string;
let run: (...args: string[]) => ReturnType<typeof qkmcmds>;
/** A restore reads the backup key's passphrase from its standard input when piped. */
let restore: (...args: string[]) => ReturnType<typeof qkmcmds>;
/** Every keystore folder that was ever live: the live one and the copies restores kept aside. */
const everLive = new Set<string>();

beforeAll(async () => {
  root = tempDir('qkm-backup-cli-');
  dataDir = path.join(root, 'data');
  run = (...args) => qkmcmds(['--data-dir', dataDir, ...args], ENV);
  restore = (...args) => qkmcmds(['--data-dir', dataDir, 'restore', ...args], ENV, `${TEST_PASSPHRASE}\n`);
  const d = await startQkmd(['--data-dir', dataDir]);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  initBackupKey(dataDir);
  expect(run('keys', 'generate', '--library', 'BIG', '--class', 'i2000').code).toBe(0);
  noteLive();
});
afterAll(() => removeDir(root));

function noteLive(): void {
  everLive.add(readlinkSync(path.join(dataDir, 'keystore')));
}

/** What a user must never see: a stack trace or more than one line of complaint. */
function expectOneSentence(r: ReturnType<typeof qkmcmds>, re: RegExp) {
  expect(r.stderr.trimEnd()).toMatch(re);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.code).toBe(1);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** The state a user must find after any failure or kill has been cleaned up. */
function expectNoLeftovers(backupDirs: string[]): void {
  const stray = readdirSync(dataDir).filter((n) => n.startsWith('.backup-') || n.startsWith('.restore-') || n.startsWith('.qkm'));
  expect(stray).toEqual([]);
  for (const n of readdirSync(dataDir).filter((x) => x.startsWith('keystore-'))) {
    expect(everLive.has(n), `${n} was never the live keystore: a restore's orphan`).toBe(true);
  }
  for (const f of filesUnder(dataDir).filter((x) => path.basename(x) === 'master.key')) {
    expect(everLive.has(path.basename(path.dirname(f))), `master key outside a keystore: ${f}`).toBe(true);
  }
  for (const dir of backupDirs) {
    const names = existsSync(dir) ? readdirSync(dir) : [];
    expect(names.filter((n) => !/^QKM(App|Data)\w+\.tgz$/.test(n)), `partial files in ${dir}`).toEqual([]);
    const pairs = (kind: string) => names.filter((n) => n.startsWith(`QKM${kind}`)).map((n) => n.slice(`QKM${kind}`.length)).sort();
    expect(pairs('App'), `backups in ${dir} come in pairs`).toEqual(pairs('Data'));
  }
}

/** Starts a real qkmcmds and SIGKILLs it after `ms`; resolves with how it ended. */
function killedAfter(args: string[], ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [QKMCMDS, '--data-dir', dataDir, ...args], { env: { PATH: process.env.PATH ?? '', ...ENV }, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.on('error', () => {}); // killed before it read its input
    child.stdin.end(`${TEST_PASSPHRASE}\n`);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

const latest = (dir: string, kind: 'App' | 'Data') => path.join(dir, readdirSync(dir).filter((n) => n.startsWith(`QKM${kind}`)).sort().at(-1)!);

describe('backup --to a place that cannot take it: one sentence, exit 1, nothing left', () => {
  it('a folder whose parent does not exist (a mistyped path is said, not made)', () => {
    for (const parent of [path.join(root, 'no'), path.join(root, 'nope', 'deeper')]) {
      expectOneSentence(run('backup', '--to', path.join(parent, 'backups')), new RegExp(`^qkmcmds: The folder ${parent} does not exist; create it first or give another folder with --to\\.$`));
      expect(existsSync(parent)).toBe(false);
    }
    expectNoLeftovers([]);
  });

  it('an existing file', () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, 'mine\n');
    expectOneSentence(run('backup', '--to', file), /is a file, not a folder; give the folder the two backup files should go in with --to\.$/);
    expect(statSync(file).size).toBe(5);
    expectNoLeftovers([]);
  });

  describe('real small file systems (tmpfs)', () => {
    const why = tmpfsUnavailable();
    it.skipIf(why !== undefined)(`a read-only file system${why ? ` (skipped: ${why})` : ''}`, () => {
      const ro = path.join(root, 'ro');
      mkdirSync(ro);
      expect(mountTmpfs(ro, 1024 * 1024)).toBeUndefined();
      try {
        expect(spawnSync('mount', ['-o', 'remount,ro', ro]).status).toBe(0);
        expectOneSentence(run('backup', '--to', ro), /is on a read-only file system; remount it read-write \(or use another place\) and/);
        expect(readdirSync(ro)).toEqual([]);
      } finally {
        unmount(ro);
      }
      expectNoLeftovers([]);
    });

    it.skipIf(why !== undefined)(`a folder too small for the data half${why ? ` (skipped: ${why})` : ''}`, () => {
      const small = path.join(root, 'small');
      mkdirSync(small);
      // Room for the QKMApp half (a few KiB), not for 40,000 keys.
      expect(mountTmpfs(small, 512 * 1024)).toBeUndefined();
      try {
        expectOneSentence(run('backup', '--to', small), new RegExp(`^qkmcmds: The disk holding ${small} is full; free some space there and run the backup again\\.$`));
        expect(readdirSync(small)).toEqual([]);
      } finally {
        unmount(small);
      }
      expectNoLeftovers([]);
    });
  });
});

describe('killed backups and restores leave nothing behind once the next run or qkmd start-up has passed', () => {
  it(`backup killed ${KILLS} times at random moments`, async () => {
    const to = path.join(root, 'offsite');
    mkdirSync(to, { recursive: true });
    for (let i = 0; i < KILLS; i++) {
      await killedAfter(['backup', '--to', to], 150 + Math.floor(Math.random() * 1200));
      // Every other time qkmd's start-up clears up; otherwise the next backup does.
      if (i % 2 === 0) {
        const d = await startQkmd(['--data-dir', dataDir], ENV);
        d.child.kill('SIGTERM');
        expect(await d.exited).toBe(0);
      } else {
        // Backups are named by the second: the next one must not share the killed one's name.
        await new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)));
        const r = run('backup', '--to', to);
        expect(r.code, r.stderr).toBe(0);
      }
      expectNoLeftovers([to, path.join(dataDir, 'backups')]);
    }
  }, LOOP_TIMEOUT_MS);

  it(`restore killed ${KILLS} times at random moments`, async () => {
    const to = path.join(root, 'for-restore');
    mkdirSync(to, { recursive: true });
    expect(run('backup', '--to', to).code).toBe(0);
    const pair = [latest(to, 'App'), latest(to, 'Data')];
    for (let i = 0; i < KILLS; i++) {
      await killedAfter(['restore', ...pair, '--yes'], 150 + Math.floor(Math.random() * 2000));
      noteLive(); // a restore killed after its switch has made its keystore the live one
      if (i % 2 === 0) {
        const d = await startQkmd(['--data-dir', dataDir], ENV);
        d.child.kill('SIGTERM');
        expect(await d.exited).toBe(0);
      } else {
        const r = restore(...pair, '--yes');
        expect(r.code, r.stderr).toBe(0);
        noteLive();
      }
      expectNoLeftovers([to]);
    }
  }, LOOP_TIMEOUT_MS);
});

describe('restore and the keystores it keeps aside', () => {
  it('a backup older than the keystore it replaces needs --yes, and the copies kept aside can be listed and removed', () => {
    const to = path.join(root, 'older');
    mkdirSync(to, { recursive: true });
    expect(run('backup', '--to', to).code).toBe(0);
    const pair = [latest(to, 'App'), latest(to, 'Data')];
    expect(run('keys', 'generate', '--library', 'MORE', '--class', 'i2000').code).toBe(0);
    const live = readlinkSync(path.join(dataDir, 'keystore'));

    // Piped (no terminal to ask on) and no --yes: refused, nothing changed.
    expectOneSentence(restore(...pair), /is older than the keystore it would replace \(it holds 20000 keys, 0 handed out; the keystore holds 40000 keys, 0 handed out\); add --yes to restore it all the same\.$/);
    expect(readlinkSync(path.join(dataDir, 'keystore'))).toBe(live);

    // On a terminal it asks; "n" changes nothing. (script(1) gives the command a terminal.)
    if (spawnSync('script', ['--version']).status === 0) {
      const cmd = [process.execPath, QKMCMDS, '--data-dir', dataDir, 'restore', ...pair].map((a) => `'${a}'`).join(' ');
      const asked = spawnSync('script', ['-qec', cmd, '/dev/null'], { input: 'n\n', encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...ENV } });
      expect(asked.stdout).toMatch(/the keystore holds 40000 keys, 0 handed out\)\. Restore it all the same\? \[y\/N\]/);
      expect(asked.stdout).toMatch(/; nothing was changed\./);
      expect(asked.status).toBe(1);
      expect(readlinkSync(path.join(dataDir, 'keystore'))).toBe(live);
    }

    const r = restore(...pair, '--yes');
    expect(r.code, r.stderr).toBe(0);
    noteLive();
    expect(r.stdout).toContain(`The replaced keystore is kept in ${path.join(dataDir, live)}`);
    const list = run('keystores');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${live}\\s+[\\d.]+ MiB\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+40000$`, 'm'));
    const json = JSON.parse(run('keystores', '--json').stdout) as { name: string; keys: number }[];
    expect(json.map((k) => k.name)).toContain(live);
    expect(json.map((k) => k.name)).not.toContain(readlinkSync(path.join(dataDir, 'keystore')));

    expectOneSentence(run('keystores', 'remove', readlinkSync(path.join(dataDir, 'keystore'))), /is the live keystore, which qkmd uses; only a copy kept aside by a restore can be removed\.$/);
    expectOneSentence(run('keystores', 'remove', 'keystore-nonesuch'), /There is no kept-aside keystore named keystore-nonesuch/);
    const removed = run('keystores', 'remove', live);
    expect(removed.stdout).toBe(`Removed the kept-aside keystore ${live} (40000 keys).\n`);
    expect(existsSync(path.join(dataDir, live))).toBe(false);
    expect(run('keys', 'status').code).toBe(0);
  });
});
