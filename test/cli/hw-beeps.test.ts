import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
let daemon: Awaited<ReturnType<typeof startQkmd>> | undefined;
beforeEach(() => {
  dir = tempDir('qkm-hw-beeps-');
});
afterEach(() => {
  if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  daemon = undefined;
  removeDir(dir);
});

const run = (...args: string[]) => qkmcmds(['--data-dir', path.join(dir, 'data'), ...args]);
interface Ticket { condition: string; open: boolean; severity: string; text: string }
const tickets = () => (JSON.parse(run('tickets', '--all', '--json').stdout) as Ticket[]).filter((t) => t.condition.startsWith('hw:post-beeps'));
const post = () => (JSON.parse(run('hw', 'status', '--json').stdout) as { post: unknown }).post;

describe('POST beeps on the simulated appliance, through qkmcmds against a running qkmd', () => {
  it('a boot beeping 1-1-3 opens a ticket saying what failed and what to do; a boot beeping once closes it', async () => {
    daemon = await startQkmd(['--data-dir', path.join(dir, 'data')]);
    // Powered on: one beep, POST passed, no ticket.
    expect(post()).toMatchObject({ pattern: '1', repeating: false, verdict: 'passed' });
    expect(tickets()).toEqual([]);

    const r = run('sim', 'post', '1-1-3');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('The simulated server restarted and beeped 1-1-3 (POST found a problem).\n');
    expect(post()).toMatchObject({ pattern: '1-1-3', verdict: 'problem' });
    expect(tickets()).toEqual([expect.objectContaining({
      condition: 'hw:post-beeps:1-1-3', open: true, severity: 'error',
      text: expect.stringMatching(/^At its last start the server beeped 1-1-3: POST found a problem\. The CMOS memory could not be written and read back\./),
    })]);

    const bad = run('sim', 'post', 'beep-beep');
    expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 1, stdout: '' });
    expect(bad.stderr).toBe('qkmcmds: "beep-beep" is not a beep pattern; write it as the tables do: 1, 1-1-3, 1 long 2 short, continuous or repeating short.\n');

    expect(run('sim', 'post', '1').stdout).toBe('The simulated server restarted and beeped 1 (POST passed).\n');
    expect(tickets()).toEqual([expect.objectContaining({ condition: 'hw:post-beeps:1-1-3', open: false })]);
  });
});
