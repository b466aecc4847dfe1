import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
const run = (...args: string[]) => qkmcmds(['--data-dir', dir, ...args]);
const qkmdLog = () => readFileSync(path.join(dir, 'logs', 'qkmd.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
const traceLines = () => qkmdLog().filter((l) => l.level === 10 && l.msg === 'control request').length;

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 100));
  expect(what()).toBe(true);
}

beforeAll(() => {
  dir = tempDir('qkm-trace-');
});
afterAll(() => removeDir(dir));

it('-D on|off is kept, taken by qkmd at start and followed while it runs; anything else is one sentence and changes nothing', async () => {
  const bad = run('-D', 'maybe');
  expect(bad.code).toBe(1);
  expect(bad.stderr).toBe('qkmcmds: -D takes on or off, not "maybe"; nothing was changed.\n');

  const d = await startQkmd(['--data-dir', dir]);
  try {
    expect(run('hw', 'status').code).toBe(0);
    expect(traceLines()).toBe(0); // off by default

    const on = run('-D', 'on');
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/^Trace logging is on/);
    await until(() => qkmdLog().some((l) => l.msg === 'trace logging on'));
    expect(run('hw', 'status').code).toBe(0);
    await until(() => traceLines() === 1);

    expect(run('-D', 'off').stdout).toBe('Trace logging is off.\n');
    await until(() => qkmdLog().some((l) => l.msg === 'trace logging off'));
    expect(run('hw', 'status').code).toBe(0);
    expect(run('-D', 'on').code).toBe(0);
  } finally {
    d.child.kill('SIGTERM');
    await d.exited;
  }
  // Kept: the next qkmd starts with it on.
  const again = await startQkmd(['--data-dir', dir]);
  try {
    const before = traceLines();
    expect(run('hw', 'status').code).toBe(0);
    await until(() => traceLines() === before + 1);
  } finally {
    again.child.kill('SIGTERM');
    await again.exited;
  }
  const audit = readFileSync(path.join(dir, 'logs', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string });
  expect(audit.map((a) => `${a.action}: ${a.outcome}`)).toEqual(['trace logging: refused', 'trace logging: done', 'trace logging: done', 'trace logging: done']);
});
