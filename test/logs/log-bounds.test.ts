import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logFile, openLog } from '../../src/logs/logger.js';
import { quoteClientValue } from '../../src/util/bounded-text.js';
import { removeDir, tempDir } from '../helpers/engine.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) removeDir(dirs.pop()!);
});

function dataDir(): string {
  const d = tempDir('qkm-logbounds-');
  dirs.push(d);
  return d;
}

describe('a client value quoted in a message', () => {
  it('is quoted whole when short, and shortened with its length when long', () => {
    expect(quoteClientValue('LIB1-000001')).toBe('"LIB1-000001"');
    expect(quoteClientValue('B'.repeat(81))).toBe(`"${'B'.repeat(80)}"… (81 characters)`);
  });

  it('cannot break a line or leave half a character', () => {
    expect(quoteClientValue('a\nb')).toBe('"a\\nb"');
    const cut = quoteClientValue(`${'x'.repeat(79)}😀😀`);
    expect(cut).toBe(`"${'x'.repeat(79)}"… (83 characters)`);
  });
});

describe('a log line', () => {
  it('carries a bounded copy of whatever it is given: long strings, errors, deep or wide structures', () => {
    const dir = dataDir();
    const log = openLog(dir, 'qkmd');
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 50; i++) at = (at.next = {}) as Record<string, unknown>;
    log.warn({ uid: 'U'.repeat(1_000_000), err: new Error(`bad ${'E'.repeat(1_000_000)}`), list: Array(100_000).fill('item'), deep }, `refused ${'M'.repeat(1_000_000)}`);
    const text = readFileSync(logFile(dir, 'qkmd'), 'utf8');
    expect(text.length).toBeLessThan(32 * 1024);
    const line = JSON.parse(text) as { uid: string; err: { message: string; stack: string; type: string }; list: string[]; msg: string };
    expect(line.uid).toBe(`${'U'.repeat(2048)}… (1000000 characters)`);
    expect(line.msg).toMatch(/^refused M+… \(1000008 characters\)$/);
    expect(line.err.type).toBe('Error');
    expect(line.err.message).toMatch(/^bad E+… \(1000004 characters\)$/);
    expect(line.list).toHaveLength(33);
    expect(line.list.at(-1)).toBe('… (99968 more)');
  });

  it('rotates into older files that are removed, oldest first, to keep the total under the cap', () => {
    const dir = dataDir();
    const log = openLog(dir, 'qkmcmds', 'info', { maxFileBytes: 16 * 1024, maxTotalBytes: 48 * 1024 });
    for (let i = 0; i < 2000; i++) log.info({ i }, `line ${i}`);
    const logs = path.join(dir, 'logs');
    const names = readdirSync(logs).sort();
    expect(names).toEqual(['qkmcmds.log', 'qkmcmds.log.1', 'qkmcmds.log.2']);
    const sizes = names.map((n) => readFileSync(path.join(logs, n)).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(48 * 1024);
    const newest = readFileSync(path.join(logs, 'qkmcmds.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number });
    expect(newest.at(-1)!.i).toBe(1999);
    const older = readFileSync(path.join(logs, 'qkmcmds.log.1'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number });
    expect(older.at(-1)!.i).toBe(newest[0]!.i - 1); // nothing lost at a rotation
  });

  it('keeps the total under a cap lowered since the files were written', () => {
    const dir = dataDir();
    const logs = path.join(dir, 'logs');
    const total = () => readdirSync(logs).reduce((n, f) => n + readFileSync(path.join(logs, f)).length, 0);
    const before = openLog(dir, 'qkmd', 'info', { maxFileBytes: 256 * 1024, maxTotalBytes: 1024 * 1024 });
    for (let i = 0; i < 4000; i++) before.info({ i }, `line ${i}`);
    expect(total()).toBeGreaterThan(200 * 1024);
    const after = openLog(dir, 'qkmd', 'info', { maxFileBytes: 16 * 1024, maxTotalBytes: 48 * 1024 });
    for (let i = 0; i < 10; i++) after.info({ i }, `line ${i}`);
    expect(total()).toBeLessThanOrEqual(48 * 1024);
  });
});
