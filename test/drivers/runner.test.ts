import { describe, expect, it } from 'vitest';
import { ExecFileRunner, FileRoot, FixtureRunner } from '../../drivers/runner.js';
import { ManualClock } from '../../drivers/clock.js';
import { isDriverError } from '../../drivers/errors.js';
import { makeTempRoot, plant, removeTempRoot } from './helpers.js';

describe('ExecFileRunner', () => {
  it('refuses to run anything unless enabled', async () => {
    const r = new ExecFileRunner({ enabled: false });
    await expect(r.run(process.execPath, ['-e', '1'])).rejects.toSatisfy((e) => isDriverError(e, 'RUNNER_DISABLED'));
  });

  it('refuses commands outside its allow list', async () => {
    const r = new ExecFileRunner({ enabled: true, allow: ['smartctl'] });
    await expect(r.run(process.execPath, ['-e', '1'])).rejects.toSatisfy((e) => isDriverError(e, 'RUNNER_DISABLED'));
  });

  it('returns output, a non-zero exit as data, and feeds standard input', async () => {
    const r = new ExecFileRunner({ enabled: true });
    const out = await r.run(process.execPath, ['-e', 'process.stdin.pipe(process.stdout); process.exitCode = 8'], { input: 'label: gpt\n' });
    expect(out).toEqual({ stdout: 'label: gpt\n', stderr: '', code: 8 });
  });

  it('reports a missing tool and a hung tool with their own codes', async () => {
    const r = new ExecFileRunner({ enabled: true });
    await expect(r.run('qkm-no-such-tool', [])).rejects.toSatisfy((e) => isDriverError(e, 'COMMAND_NOT_FOUND'));
    await expect(r.run(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 200 })).rejects.toSatisfy((e) =>
      isDriverError(e, 'COMMAND_TIMEOUT'),
    );
  });
});

describe('FixtureRunner', () => {
  it('answers recorded command lines, records calls, and rejects unknown ones', async () => {
    const r = new FixtureRunner({ 'ledctl normal=/dev/sda': { stdout: 'ok' } });
    expect((await r.run('ledctl', ['normal=/dev/sda'])).stdout).toBe('ok');
    await expect(r.run('ledctl', ['failure=/dev/sda'])).rejects.toSatisfy((e) => isDriverError(e, 'NO_FIXTURE'));
    expect(r.calls.map((c) => c.line)).toEqual(['ledctl normal=/dev/sda', 'ledctl failure=/dev/sda']);
  });
});

describe('FileRoot', () => {
  it('reads /proc/mdstat as <root>/proc/mdstat and refuses paths out of the root', async () => {
    const root = await makeTempRoot();
    try {
      await plant(root, '/proc/mdstat', 'Personalities :\n');
      const fr = new FileRoot(root);
      expect(await fr.read('/proc/mdstat')).toBe('Personalities :\n');
      expect(await fr.readIfExists('/proc/nothing')).toBeUndefined();
      expect(fr.resolve('/sys/../../../etc/passwd')).toBe(`${root}/etc/passwd`);
      expect(fr.resolve('../../mdstat')).toBe(`${root}/mdstat`);
    } finally {
      await removeTempRoot(root);
    }
  });
});

describe('ManualClock', () => {
  it('fires due timers in time order, including ones scheduled while firing', () => {
    const c = new ManualClock();
    const seen: string[] = [];
    c.setTimeout(() => seen.push('b'), 20);
    c.setTimeout(() => {
      seen.push('a');
      c.setTimeout(() => seen.push('a2'), 5);
    }, 10);
    const dropped = c.setTimeout(() => seen.push('never'), 15);
    c.clearTimeout(dropped);
    c.advance(30);
    expect(seen).toEqual(['a', 'a2', 'b']);
    expect(c.now()).toBe(30);
    expect(c.pendingCount).toBe(0);
  });
});
