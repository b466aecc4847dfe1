import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { qkmcmds, QKMCMDS, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { TEST_PASSPHRASE, initBackupKey } from '../helpers/backup-key.js';
import { REPO } from '../helpers/worker.js';

let dir: string;
let run: (...args: string[]) => ReturnType<typeof qkmcmds>;
beforeEach(async () => {
  dir = tempDir('qkm-cli-');
  run = (...args) => qkmcmds(['--data-dir', dir, ...args], { QKM_KEYS_I500: '200' });
  const d = await startQkmd(['--data-dir', dir]);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});
afterEach(() => removeDir(dir));

/** What a user must never see: a stack trace or more than one line of complaint. */
function expectOneSentence(r: ReturnType<typeof qkmcmds>, re: RegExp) {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
}

describe('qkmcmds', () => {
  it('-v prints the version', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    expect(qkmcmds(['-v']).stdout.trim()).toBe(pkg.version);
  });

  it('a bad setting stops it with one sentence', () => {
    expectOneSentence(qkmcmds(['--data-dir', dir, 'keys', 'status'], { QKM_KEYS_I500: '0' }), /^qkmcmds: keys\.i500 in environment variable QKM_KEYS_I500 is 0, but it must be a whole number from 1 to 1000000\.$/m);
  });

  it('generate, status, backup, check: the administrator path', () => {
    const g = run('keys', 'generate', '--library', 'LIB1', '--class', 'i500');
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(/^Generated 200 keys for library LIB1 \(i500\)/);
    expect(g.stdout).toMatch(/Back up the keystore now/);
    expect(g.stderr).toBe(''); // piped: no progress bar
    expect(run('keys', 'generate', '--library', 'LIB1', '--class', 'i500').stdout).toMatch(/has enough unused keys \(200; a new set is generated below 40\); no keys generated/);
    expect(JSON.parse(run('keys', 'status', '--json').stdout)).toEqual([
      { library: 'LIB1', class: 'i500', total: 200, used: 0, unused: 200, pendingBackup: 200, percentUsed: 0, needsSync: false },
    ]);
    expect(run('tickets').stdout).toMatch(/WARNING open .*\[backup-needed\]/);
    const to = path.join(dir, 'offsite');
    initBackupKey(dir);
    const b = run('backup', '--to', to);
    expect(b.code).toBe(0);
    expect(readdirSync(to).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^QKMAppSIM[0-9A-F]{10}\d{14}\.tgz$/), expect.stringMatching(/^QKMDataSIM[0-9A-F]{10}\d{14}\.tgz$/)]));
    expect(run('keys', 'status').stdout).toMatch(/LIB1\s+i500\s+200\s+0\s+200\s+0\s+0\.0\s+ok/);
    expect(run('tickets').stdout).toBe('No open tickets.\n');
    expect(run('tickets', '--all').stdout).toMatch(/closed .*\[backup-needed\]/);
    expect(run('check')).toMatchObject({ code: 0, stdout: 'Keystore OK: 200 keys checked.\n' });
  });

  it('check names a damaged record and fails', () => {
    run('keys', 'generate', '--library', 'LIB1', '--class', 'i500');
    const db = new Database(path.join(dir, 'keystore', 'keystore.db'));
    const victim = db.prepare('SELECT name, sealed FROM keys WHERE seq = 42').get() as { name: string; sealed: Buffer };
    victim.sealed[30]! ^= 0x80;
    db.prepare('UPDATE keys SET sealed = ? WHERE name = ?').run(victim.sealed, victim.name);
    db.close();
    const r = run('check');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`BAD ${victim.name}: record altered or damaged`);
    expect(r.stdout).toMatch(/Keystore check FAILED: 1 problem\(s\) in 200 keys/);
  });

  it('check on a large keystore (scanned by worker threads) names every damaged record', () => {
    const big = (...args: string[]) => qkmcmds(['--data-dir', dir, ...args], { QKM_KEYS_I2000: '40000' });
    expect(big('keys', 'generate', '--library', 'BIG', '--class', 'i2000').code).toBe(0);
    expect(big('check')).toMatchObject({ code: 0, stdout: 'Keystore OK: 40000 keys checked.\n' });
    const db = new Database(path.join(dir, 'keystore', 'keystore.db'));
    const victims = [7, 20_001, 39_999].map((offset) => db.prepare('SELECT name, sealed FROM keys ORDER BY seq LIMIT 1 OFFSET ?').get(offset) as { name: string; sealed: Buffer });
    for (const v of victims) {
      v.sealed[13]! ^= 0x01;
      db.prepare('UPDATE keys SET sealed = ? WHERE name = ?').run(v.sealed, v.name);
    }
    db.close();
    const r = big('check');
    expect(r.code).toBe(1);
    for (const v of victims) expect(r.stdout).toContain(`BAD ${v.name}: record altered or damaged`);
    expect(r.stdout).toMatch(/FAILED: 3 problem\(s\) in 40000 keys/);
  });

  it('restore refuses garbage with one sentence and keeps the keystore', () => {
    run('keys', 'generate', '--library', 'LIB1', '--class', 'i500');
    const junk = path.join(dir, 'junk.tgz');
    writeFileSync(junk, 'not a backup');
    expectOneSentence(run('restore', junk, junk), /^qkmcmds: junk\.tgz is damaged or not a qkm backup/);
    expect(JSON.parse(run('keys', 'status', '--json').stdout)[0]).toMatchObject({ total: 200, needsSync: false });
  });

  it('restore and sync, end to end', () => {
    run('keys', 'generate', '--library', 'LIB1', '--class', 'i500');
    const to = path.join(dir, 'offsite');
    initBackupKey(dir);
    run('backup', '--to', to);
    const [app, data] = readdirSync(to).sort().map((f) => path.join(to, f));
    const r = qkmcmds(['--data-dir', dir, 'restore', app!, data!], {}, `${TEST_PASSPHRASE}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Restored 200 keys of server SIM/);
    expect(r.stdout).toMatch(/synchronise each library \(LIB1\)/);
    expect(run('tickets').stdout).toMatch(/ERROR open .*\[sync-needed:LIB1\]/);
    const names = run('keys', 'status', '--json');
    expect(JSON.parse(names.stdout)[0].needsSync).toBe(true);
    const db = new Database(path.join(dir, 'keystore', 'keystore.db'), { readonly: true });
    const tenth = db.prepare('SELECT name FROM keys ORDER BY seq LIMIT 1 OFFSET 9').pluck().get() as string;
    db.close();
    expect(run('sync', '--last-key', tenth).stdout).toBe(`Library LIB1 is synchronised: 10 key(s) it was given after the backup, up to ${tenth}, recovered as readable objects (their barcodes and key identifiers are unknown until the library sends them); new keys start after it.\n`);
    expect(JSON.parse(run('keys', 'status', '--json').stdout)[0]).toMatchObject({ used: 10, needsSync: false });
    expectOneSentence(run('sync', '--last-key', 'NOPE'), /^qkmcmds: No key named "NOPE" is in this keystore/);
    expectOneSentence(run('sync'), /^qkmcmds: Give one of --last-key NAME .*, --none-used LIBRARY .* or --from-peer /);
    expectOneSentence(run('sync', '--last-key', tenth, '--none-used', 'LIB1'), /^qkmcmds: Give one of --last-key NAME/);
    expectOneSentence(run('sync', '--last-key', tenth, '--from-peer'), /^qkmcmds: Give one of --last-key NAME/);
    expectOneSentence(run('sync', '--none-used', 'LIB1'), /^qkmcmds: Library LIB1 has used 10 key\(s\) of this server; give the last key it used with --last-key instead\./);
  });

  it('restore is refused while qkmd runs', async () => {
    run('keys', 'generate', '--library', 'LIB1', '--class', 'i500');
    const to = path.join(dir, 'offsite');
    initBackupKey(dir);
    run('backup', '--to', to);
    const [app, data] = readdirSync(to).sort().map((f) => path.join(to, f));
    const d = await startQkmd(['--data-dir', dir]);
    try {
      expectOneSentence(run('restore', app!, data!), /^qkmcmds: qkmd is running \(pid \d+\) on .*; stop it before you restore a backup\.$/m);
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  });

  it('an unknown command is a usage error (exit 2), not a crash', () => {
    const r = run('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('shows a progress bar on a terminal', () => {
    // script(1) gives the command a real pseudo-terminal.
    const out = execFileSync('script', ['-qec', `${process.execPath} ${QKMCMDS} --data-dir ${dir} keys generate --library TTY --class i2000`, '/dev/null'], {
      encoding: 'utf8', env: { PATH: process.env.PATH ?? '', QKM_KEYS_I2000: '20000' },
    });
    expect(out).toMatch(/generating TTY \[[█░]+\] 100% \| 20000\/20000/);
  });
});

describe('qkmd', () => {
  it('creates its data directory on first start, says where, and refuses a second qkmd', async () => {
    const fresh = path.join(dir, 'fresh');
    const d = await startQkmd(['--data-dir', fresh]);
    try {
      expect(d.output().stdout).toMatch(new RegExp(`data in ${fresh} \\(keystore: ${fresh}/keystore-\\d+-[0-9a-f]+, 0 keys\\)`));
      expect(readdirSync(fresh)).toEqual(expect.arrayContaining(['keystore', 'serial', 'logs', 'qkmd.pid']));
      const second = await startQkmd(['--data-dir', fresh]).then(() => 'started', (e: Error) => e.message);
      expect(second).toMatch(/qkmd: qkmd is already running \(pid \d+\)/);
    } finally {
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
    }
  });
});
