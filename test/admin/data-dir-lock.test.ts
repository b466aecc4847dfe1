import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QKMCMDS, qkmcmds, startQkmd } from '../helpers/cli.js';
import { claimDataDir } from '../../src/admin/data-dir-lock.js';
import { TEST_PASSPHRASE, initBackupKey } from '../helpers/backup-key.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
let children: { kill(signal: NodeJS.Signals): boolean }[];
const ENV = { QKM_KEYS_I500: '200' };
const run = (...args: string[]) => qkmcmds(['--data-dir', dir, ...args], ENV);
const start = () => startQkmd(['--data-dir', dir], ENV);
const restoreWithPassphrase = (app: string, data: string) => qkmcmds(['--data-dir', dir, 'restore', app, data], ENV, `${TEST_PASSPHRASE}\n`);
const pidFile = () => path.join(dir, 'qkmd.pid');
const refusedStart = () => start().then((d) => { children.push(d.child); return 'started'; }, (e: Error) => e.message);

function expectOneSentence(r: ReturnType<typeof qkmcmds>, re: RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim()).toMatch(re);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

/** A backup pair of a keystore with one set of `keys` keys (qkmd started once to set the directory up). */
async function backupPair(env: Record<string, string>): Promise<[string, string]> {
  const d = await startQkmd(['--data-dir', dir], env);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  expect(qkmcmds(['--data-dir', dir, 'keys', 'generate', '--library', 'LIB1', '--class', 'i500'], env).code).toBe(0);
  const to = path.join(dir, 'offsite');
  initBackupKey(dir);
  expect(qkmcmds(['--data-dir', dir, 'backup', '--to', to], env).code).toBe(0);
  const [app, data] = readdirSync(to).sort().map((f) => path.join(to, f));
  return [app!, data!];
}

beforeEach(() => {
  dir = tempDir('qkm-lock-');
  children = [];
});
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  removeDir(dir);
});

describe('the data directory lock', () => {
  it('a qkmd killed with SIGKILL does not hold it: qkmd starts again, even over a stale pid file naming pid 1', async () => {
    const first = await start();
    children.push(first.child);
    expect(readFileSync(pidFile(), 'utf8')).toBe(`${first.child.pid}\n`);
    first.child.kill('SIGKILL');
    await first.exited;
    // As after a power cut and a reboot: the pid in the file now belongs to another process.
    writeFileSync(pidFile(), '1\n');

    const second = await start();
    children.push(second.child);
    expect(readFileSync(pidFile(), 'utf8')).toBe(`${second.child.pid}\n`);
    expect(await refusedStart()).toMatch(new RegExp(`qkmd: qkmd is already running \\(pid ${second.child.pid}\\) on ${dir}; stop it first or give another --data-dir\\.`));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(existsSync(pidFile())).toBe(false);
  });

  it('restore and sync are refused while qkmd runs, even with its pid file deleted, and change nothing', async () => {
    const [app, data] = await backupPair(ENV);
    const d = await start();
    children.push(d.child);
    rmSync(pidFile());
    const keystoreBefore = readlinkSync(path.join(dir, 'keystore'));
    expectOneSentence(restoreWithPassphrase(app, data), /^qkmcmds: Another process holds .*qkm\.lock \(a qkmd, or a qkmcmds restore, sync or keystore upgrade\); wait for it to finish or stop it before you restore a backup\.$/);
    expect(readlinkSync(path.join(dir, 'keystore'))).toBe(keystoreBefore);
    expect(readdirSync(dir).filter((f) => f.startsWith('keystore-'))).toHaveLength(1);

    // With its pid file, the sentence names it.
    writeFileSync(pidFile(), `${d.child.pid}\n`);
    expectOneSentence(run('sync', '--last-key', 'ANY'), new RegExp(`^qkmcmds: qkmd is running \\(pid ${d.child.pid}\\) on ${dir}; stop it before you synchronise a library\\.$`));
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(restoreWithPassphrase(app, data).code).toBe(0);
  });

  it('qkmd does not start while a restore holds the lock, and starts once the restore is killed', async () => {
    // Large enough that the restore is still checking its keys when it is frozen below.
    const env = { QKM_KEYS_I500: '20000' };
    const [app, data] = await backupPair(env);
    const restore = spawn(process.execPath, [QKMCMDS, '--data-dir', dir, 'restore', app, data], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'ignore', 'ignore'] });
    restore.stdin.end(`${TEST_PASSPHRASE}\n`);
    children.push(restore);
    let done = false;
    const exited = new Promise((resolve) => restore.on('exit', resolve)).then(() => (done = true));
    const info = path.join(dir, 'qkmcmds.pid');
    while (!existsSync(info) || !readFileSync(info, 'utf8').includes('restore')) {
      if (done) throw new Error('the restore ended without ever saying it holds the data directory');
      await new Promise((r) => setTimeout(r, 2));
    }
    restore.kill('SIGSTOP'); // frozen mid-way, still holding the lock

    expect(await refusedStart()).toMatch(new RegExp(`qkmd: qkmcmds restore is running \\(pid ${restore.pid}\\) on ${dir}; wait for it to finish before you start qkmd\\.`));
    restore.kill('SIGKILL');
    await exited;
    const d = await start();
    children.push(d.child);
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('a keystore upgrade waits for no one: refused while the data directory is held, done once it is free', () => {
    // A keystore of the previous schema, as an older qkm left it.
    const fixture = path.resolve(import.meta.dirname, '..', 'fixtures', 'keystore-schema2');
    const ks = path.join(dir, 'keystore-schema2');
    cpSync(fixture, ks, { recursive: true });
    chmodSync(path.join(ks, 'master.key'), 0o600);
    symlinkSync('keystore-schema2', path.join(dir, 'keystore'));
    const env = { QKM_SERVER_SERIAL: (JSON.parse(readFileSync(path.join(fixture, 'expected.json'), 'utf8')) as { serial: string }).serial };
    const schema = () => {
      const db = new Database(path.join(ks, 'keystore.db'), { readonly: true });
      try {
        return db.pragma('user_version', { simple: true });
      } finally {
        db.close();
      }
    };

    // This test process holds the lock as a running qkmd (of the older software) would.
    const release = claimDataDir(dir);
    try {
      expectOneSentence(qkmcmds(['--data-dir', dir, 'keys', 'status'], env),
        new RegExp(`^qkmcmds: qkmd is running \\(pid ${process.pid}\\) on ${dir}; stop it before you upgrade the keystore to schema version \\d+\\.$`));
      expect(schema()).toBe(2);
    } finally {
      release();
    }
    const r = qkmcmds(['--data-dir', dir, 'keys', 'status'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Upgrading the keystore from schema version 2 to \d+/);
    expect(schema()).toBeGreaterThan(2);
  });
});
