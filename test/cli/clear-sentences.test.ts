import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QKMCMDS, QKMD, qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type Tmpfs, freshTmpfs } from '../helpers/tmpfs.js';
import { initBackupKey } from '../helpers/backup-key.js';

/** One sentence on stderr, exit status 1, no trace. */
function expectOneSentence(r: { code: number | null; stderr: string }, re: RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim()).toMatch(re);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+|internal error/);
}

/** A data directory set up by a qkmd that started once and stopped. */
async function setUp(dataDir: string, env: Record<string, string> = {}): Promise<void> {
  const d = await startQkmd(['--data-dir', dataDir], env);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
}

describe('mistakes around the data directory and the configuration', () => {
  let dir: string;
  let dataDir: string;
  beforeAll(async () => {
    dir = tempDir('qkm-sentences-');
    dataDir = path.join(dir, 'data');
    await setUp(dataDir);
    expect(qkmcmds(['--data-dir', dataDir, 'keys', 'generate', '--library', 'LIB1', '--class', 'i500'], { QKM_KEYS_I500: '50' }).code).toBe(0);
  });
  afterAll(() => removeDir(dir));

  it('a number too large for its setting, in a config file, is one sentence quoting it as written', () => {
    const cases: [string, RegExp][] = [
      ['[kmip]\nport = 99999999999999999999\n', /^qkmcmds: kmip\.port in .*big\.toml line 2 is 99999999999999999999, but it must be a whole number from 0 to 65535\.$/],
      ['[keys]\ni500 = 9223372036854775807\n', /^qkmcmds: keys\.i500 in .*big\.toml line 2 is 9223372036854775807, but it must be a whole number from 1 to 1000000\.$/],
      ['[kmip]\nport = 1e400\n', /^qkmcmds: kmip\.port in .*big\.toml line 2 is 1e400, but it must be a whole number from 0 to 65535\.$/],
    ];
    const file = path.join(dir, 'big.toml');
    for (const [text, re] of cases) {
      writeFileSync(file, text);
      expectOneSentence(qkmcmds(['--config', file, '--data-dir', dataDir, 'keys', 'status']), re);
    }
    expectOneSentence(qkmcmds(['--data-dir', dataDir, 'keys', 'status'], { QKM_KMIP_PORT: '99999999999999999999999' }),
      /^qkmcmds: kmip\.port in environment variable QKM_KMIP_PORT is 99999999999999999999999, but it must be a whole number from 0 to 65535\.$/);
  });

  it('a misspelt QKM_ variable is reported as a misspelt key in a file is; the test harness\'s own are not', () => {
    expectOneSentence(qkmcmds(['--data-dir', dataDir, 'keys', 'status'], { QKM_KMIP_PROT: '6001' }),
      /^qkmcmds: Unknown environment variable QKM_KMIP_PROT: no setting has that name; did you mean QKM_KMIP_PORT\? Unset it or correct it\.$/);
    expectOneSentence(qkmcmds(['--data-dir', dataDir, 'keys', 'status'], { QKM_KEYS_I5000: '10' }), /^qkmcmds: Unknown environment variable QKM_KEYS_I5000: .*did you mean QKM_KEYS_I500\?/);
    expect(qkmcmds(['--data-dir', dataDir, 'keys', 'status'], { QKM_REQUIRE_TOOLS: '1' }).code).toBe(0);
  });

  it('a --data-dir that is a file, or runs through one, is one sentence and the file is left alone', () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    expectOneSentence(qkmcmds(['--data-dir', file, 'keys', 'status']), /^qkmcmds: The data directory .*a-file is a file, not a directory; give a directory with --data-dir/);
    expectOneSentence(qkmcmds(['--data-dir', path.join(file, 'sub'), 'keys', 'status']), /^qkmcmds: .*a-file\/sub.*a part of that path is a file/);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('read-only commands with a mistyped --data-dir create nothing and mint no serial', () => {
    const typo = path.join(dir, 'dta');
    for (const args of [['keys', 'status'], ['tickets'], ['check'], ['hw', 'status'], ['sync', '--last-key', 'X'], ['backup']]) {
      expectOneSentence(qkmcmds(['--data-dir', typo, ...args]), /^qkmcmds: There is no data directory .*dta; check --data-dir \(or \[paths\] data_dir\): qkmd creates it when it first starts\.$/);
    }
    expect(existsSync(typo)).toBe(false);
    // An existing folder that is no data directory gets no serial either.
    const other = path.join(dir, 'other');
    mkdirSync(other);
    expectOneSentence(qkmcmds(['--data-dir', other, 'keys', 'status']), /^qkmcmds: .*other is not a qkm data directory \(it has no serial file\)/);
    expect(existsSync(path.join(other, 'serial'))).toBe(false);
    rmSync(other, { recursive: true });
  });

  it('output piped into a program that exits is dropped quietly', () => {
    // `true` has exited long before node has started, so every write meets a closed pipe.
    const r = spawnSync('bash', ['--norc', '-c', `"$0" "$1" --data-dir "$2" keys status | true; exit "\${PIPESTATUS[0]}"`, process.execPath, QKMCMDS, dataDir], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = spawnSync('bash', ['--norc', '-c', `"$0" "$1" --data-dir "$2" tickets --all --json 2>&1 | true; exit "\${PIPESTATUS[0]}"`, process.execPath, QKMCMDS, dataDir], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(json.stdout + json.stderr).toBe('');
    expect(json.status).toBe(0);
  });

  it('qkmd on a data directory path too long for its control socket says so, exits, and leaves nothing behind', () => {
    const base = tempDir('qkm-long-');
    try {
      const long = path.join(base, 'd'.repeat(120 - base.length));
      const r = spawnSync(process.execPath, [QKMD, '--data-dir', long], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL', env: { PATH: process.env.PATH ?? '', QKM_KMIP_PORT: '0' } });
      expectOneSentence({ code: r.status, stderr: r.stderr },
        /^qkmd: The data directory path .* is too long for qkmd's control socket \(1\d\d bytes with \/qkmd\.sock, at most 107\); use a data directory with a path at most 97 bytes long\.$/);
      expect(readdirSync(base)).toEqual([]);
    } finally {
      removeDir(base);
    }
  });
});

describe('a full or read-only disk', () => {
  let fs: Tmpfs | { skip: string };
  let dataDir: string;
  beforeEach(() => {
    fs = freshTmpfs(3 * 1024 * 1024);
  });
  afterEach(() => {
    if ('dir' in fs) fs.unmount();
  });

  it('keys generate, backup and certs library-bundle say the disk is full in one sentence, even when the log cannot be written', async (ctx) => {
    if ('skip' in fs) return ctx.skip(fs.skip);
    dataDir = path.join(fs.dir, 'data');
    await setUp(dataDir);
    initBackupKey(dataDir);
    const env = { QKM_KEYS_I2000: '40000', QKM_KEYS_I500: '20' };
    const run = (...args: string[]) => qkmcmds(['--data-dir', dataDir, ...args], env);
    // A set bigger than the disk: the disk fills while it is written.
    expectOneSentence(run('keys', 'generate', '--library', 'BIG', '--class', 'i2000'), /^qkmcmds: The disk holding .* is full; free some space there and try again\.$/);
    expect(run('keys', 'status', '--json').stdout).toBe('[]\n');

    // Now nothing at all can be written, not even a line of log.
    const filler = path.join(fs.dir, 'filler');
    fillDisk(filler);
    const full = /^qkmcmds: The disk holding .* is full; free some space there and try again\.$/;
    expectOneSentence(run('keys', 'generate', '--library', 'LIB1', '--class', 'i500'), full);
    expectOneSentence(run('backup'), full);
    expectOneSentence(run('certs', 'library-bundle', '--library', 'LIB1', '--out', path.join(fs.dir, 'LIB1.tgz')), full);

    rmSync(filler);
    expect(run('keys', 'generate', '--library', 'LIB1', '--class', 'i500').code).toBe(0);
    expect(run('check').stdout).toBe('Keystore OK: 20 keys checked.\n');
  });

  it('a data directory on a read-only file system is one sentence', async (ctx) => {
    if ('skip' in fs) return ctx.skip(fs.skip);
    dataDir = path.join(fs.dir, 'data');
    await setUp(dataDir);
    (fs as Tmpfs).remount('ro');
    for (const args of [['keys', 'status'], ['keys', 'generate', '--library', 'LIB1', '--class', 'i500']]) {
      expectOneSentence(qkmcmds(['--data-dir', dataDir, ...args]), /^qkmcmds: The data directory .* is on a read-only file system; give a writable one with --data-dir, or remount it read-write\.$/);
    }
  });
});

function fillDisk(file: string): void {
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeFileSync(file, chunk, { flag: 'a' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  // tmpfs fills in pages: the last few bytes go too.
  try {
    for (;;) writeFileSync(file, Buffer.alloc(512), { flag: 'a' });
  } catch {
    // full
  }
}
