import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isDriverError, type DriverErrorCode } from '../../drivers/errors.js';
import { ExecFileRunner } from '../../drivers/runner.js';

/** This process's children, alive or zombie, as "pid comm state" (from /proc, as ps would show them). */
function children(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === process.pid) out.push(`${pid} ${comm} ${state}`);
  }
  return out;
}

async function collect(it: AsyncIterable<Buffer>): Promise<{ chunks: number; bytes: number; error: unknown }> {
  let chunks = 0;
  let bytes = 0;
  try {
    for await (const c of it) {
      chunks++;
      bytes += c.length;
    }
    return { chunks, bytes, error: null };
  } catch (error) {
    return { chunks, bytes, error };
  }
}

async function bytesOf(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

const failsWith = (code: DriverErrorCode) => (r: { error: unknown }) => isDriverError(r.error, code);
const runner = new ExecFileRunner({ enabled: true, defaultTimeoutMs: 10_000 });
const before = children();

describe('ExecFileRunner.stream (binary, in chunks)', () => {
  it('yields the bytes a command prints, in chunks, and ends when it exits 0', async () => {
    const r = await collect(runner.stream('head', ['-c', String(1024 * 1024), '/dev/zero'], { maxBytes: 2 * 1024 * 1024 }));
    expect(r).toEqual({ chunks: expect.any(Number), bytes: 1024 * 1024, error: null });
    expect(r.chunks).toBeGreaterThan(1);
    // Bytes, not text: a NUL and a byte above 127 come through as they are.
    const bytes = await bytesOf(runner.stream('printf', ['\\000\\377'], { maxBytes: 10 }));
    expect([...bytes]).toEqual([0, 255]);
    expect(children()).toEqual(before);
  });

  it('a command that never stops is killed at the size bound, with its own code', async () => {
    const r = await collect(runner.stream('yes', [], { maxBytes: 256 * 1024 }));
    expect(r).toSatisfy(failsWith('OUTPUT_TOO_LARGE'));
    expect(r.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(children()).toEqual(before);
  });

  it('the time-out kills a command that hangs', async () => {
    const r = await collect(runner.stream('sleep', ['30'], { maxBytes: 1024, timeoutMs: 200 }));
    expect(r).toSatisfy(failsWith('COMMAND_TIMEOUT'));
    expect(children()).toEqual(before);
  });

  it('cancelling kills the command mid-stream; an already cancelled signal starts nothing', async () => {
    const ac = new AbortController();
    let seen = 0;
    const r = await collect(
      (async function* () {
        for await (const c of runner.stream('yes', [], { maxBytes: 1e12, signal: ac.signal })) {
          seen += c.length;
          if (seen > 64 * 1024) ac.abort();
          yield c;
        }
      })(),
    );
    expect(r).toSatisfy(failsWith('COMMAND_CANCELLED'));
    expect(children()).toEqual(before);
    expect(await collect(runner.stream('yes', [], { maxBytes: 1e12, signal: ac.signal }))).toSatisfy(failsWith('COMMAND_CANCELLED'));
  });

  it('a consumer that stops reading early leaves no process behind, whether the command writes on or waits', async () => {
    for (const args of [['yes'], ['sh', '-c', 'echo ready; exec sleep 30']]) {
      for await (const c of runner.stream(args[0]!, args.slice(1), { maxBytes: 1e12 })) {
        expect(c.length).toBeGreaterThan(0);
        break;
      }
      expect(children()).toEqual(before);
    }
    // A stream that waited for the sleep to end on its own would take 30 s: hung, not a slow machine.
  }, 15_000);

  it('a failing exit, a missing tool and a refused tool are errors with their codes', async () => {
    const failed = await collect(runner.stream('sh', ['-c', 'printf abc; echo broken >&2; exit 3'], { maxBytes: 1024 }));
    expect(failed).toSatisfy(failsWith('COMMAND_FAILED'));
    expect(failed.bytes).toBe(3);
    expect((failed.error as { detail: unknown }).detail).toMatchObject({ code: 3, stderr: 'broken\n' });
    expect(await collect(runner.stream('qkm-no-such-tool', [], { maxBytes: 1 }))).toSatisfy(failsWith('COMMAND_NOT_FOUND'));
    const off = new ExecFileRunner({ enabled: true, allow: ['smartctl'] });
    expect(await collect(off.stream('yes', [], { maxBytes: 1 }))).toSatisfy(failsWith('RUNNER_DISABLED'));
    // Standard input is fed, as for the text form.
    const echoed = await bytesOf(runner.stream('cat', [], { maxBytes: 100, input: Buffer.from([1, 2, 3]) }));
    expect([...echoed]).toEqual([1, 2, 3]);
    expect(children()).toEqual(before);
  });
});
