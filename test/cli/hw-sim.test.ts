import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';

/** A whole replacement in seconds: the rebuild starts 2 s after insertion and takes 2 s. */
const ENV = { QKM_SIM_REBUILD_SECONDS: '2', QKM_SIM_REBUILD_START_SECONDS: '2', QKM_AGENT_POLL_SECONDS: '1' };

let dir: string;
let daemons: Awaited<ReturnType<typeof startQkmd>>[] = [];
beforeEach(() => {
  dir = tempDir('qkm-hw-');
});
afterEach(async () => {
  for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  daemons = [];
  removeDir(dir);
});

const qkmd = async () => {
  const d = await startQkmd(['--data-dir', dir], ENV);
  daemons.push(d);
  return d;
};
const run = (...args: string[]) => qkmcmds(['--data-dir', dir, ...args], ENV);

interface L { state: string; periodMs?: number }
interface Status {
  leds: { power: L; hddActivity: L; serverError: L; cdActivity: L; bays: { bay: number; activity: L; status: L }[] };
  raid: { state: string; percent: number | null };
  disks: { bay: number; present: boolean; serial: string | null }[];
  tickets: { id: number; condition: string; severity: string; open: boolean; text: string }[];
}

function status(): Status {
  const r = run('hw', 'status', '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

/** The panel in short: "err=on a0=blink16000 s0=off a1=flicker s1=blink1000". */
function panel(s: Status): string {
  const f = (l: L) => (l.state === 'blink' ? `blink${l.periodMs}` : l.state);
  return [`err=${f(s.leds.serverError)}`, ...s.leds.bays.flatMap((b) => [`a${b.bay}=${f(b.activity)}`, `s${b.bay}=${f(b.status)}`])].join(' ');
}
const open = (s: Status) => s.tickets.filter((t) => t.open).map((t) => t.condition).sort();

async function until(pred: (s: Status) => boolean, what: string, ms = 10_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = status();
    if (pred(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${panel(s)} ${s.raid.state} ${open(s).join(',')}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function expectSentence(r: ReturnType<typeof run>, re: RegExp) {
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toMatch(re);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

describe('the manual\'s disk replacement, through qkmcmds against a running qkmd', () => {
  it('fail, pull, insert, rebuild; a faulty new disk; power loss mid-way', async () => {
    expectSentence(run('hw', 'status'), /^qkmcmds: qkmd is not running on .*; start it \(qkmd, or npm start\) and try again\.$/);
    expectSentence(run('sim', 'pull-disk', '1'), /qkmd is not running/);
    const d = await qkmd();

    let s = status();
    expect(s.raid).toMatchObject({ state: 'clean', percent: null });
    expect(s.leds.power).toEqual({ state: 'on' });
    expect(panel(s)).toBe('err=off a0=blink16000 s0=off a1=blink16000 s1=off');
    expect(open(s)).toEqual([]);

    expect(run('sim', 'fail-disk', '1')).toMatchObject({ code: 0, stdout: 'The disk SIM0000B in bay 1 has failed.\n' });
    s = status();
    expect(panel(s)).toBe('err=on a0=blink16000 s0=off a1=off s1=on');
    expect(open(s)).toEqual(['hw:disk-failed:bay1']);
    expect(s.tickets.find((t) => t.open)!.text).toMatch(/SIM0000B in bay 1 has failed.*pull it from bay 1/);

    expect(run('sim', 'pull-disk', '1').stdout).toBe('Pulled disk SIM0000B from bay 1.\n');
    s = status();
    expect(panel(s)).toBe('err=on a0=blink16000 s0=off a1=off s1=off');
    expect(open(s)).toEqual(['hw:disk-missing:bay1']);
    expectSentence(run('sim', 'pull-disk', '1'), /^qkmcmds: Bay 1 has no disk to pull\.$/);
    expectSentence(run('sim', 'insert-disk', '0'), /^qkmcmds: Bay 0 already holds a disk; pull it first\.$/);
    expectSentence(run('sim', 'fail-disk', '5'), /^qkmcmds: There is no bay 5; bays are 0 to 1\.$/);

    expect(run('sim', 'insert-disk', '1').stdout).toBe('Inserted a blank disk SIMR0001 into bay 1.\n');
    s = status();
    expect(panel(s)).toBe('err=on a0=blink16000 s0=off a1=blink250 s1=on'); // blinks fast, amber, before the rebuild
    s = await until((x) => x.raid.state === 'recovering', 'the rebuild to start');
    expect(panel(s)).toBe('err=off a0=flicker s0=off a1=flicker s1=blink1000');
    expect(open(s).some((c) => /^hw:rebuild-(started|progress):bay1/.test(c))).toBe(true);
    s = await until((x) => x.raid.state === 'clean', 'the rebuild to finish');
    expect(panel(s)).toBe('err=off a0=blink16000 s0=off a1=blink16000 s1=off');
    expect(open(s)).toEqual(['hw:rebuild-finished:bay1']);
    const history = s.tickets.filter((t) => !t.open).map((t) => t.condition);
    expect(history).toEqual(expect.arrayContaining(['hw:disk-failed:bay1', 'hw:disk-missing:bay1', 'hw:rebuild-started:bay1']));

    // The new disk is a dud: its status LED stays amber after the rebuild fails.
    run('sim', 'pull-disk', '0');
    expect(run('sim', 'insert-disk', '0', '--faulty').stdout).toBe('Inserted a faulty blank disk SIMR0002 into bay 0.\n');
    s = await until((x) => open(x).includes('hw:rebuild-failed:bay0'), 'the rebuild to fail');
    expect(panel(s)).toBe('err=on a0=off s0=on a1=blink16000 s1=off');
    expect(s.tickets.find((t) => t.condition === 'hw:rebuild-failed:bay0')!.text).toMatch(/new disk SIMR0002 in bay 0 failed, so that disk is faulty; pull it and insert another blank disk/);

    // Power goes while the replacement is out: qkmd dies at once, the disks keep their state.
    run('sim', 'pull-disk', '0');
    expect(run('sim', 'power-loss').stdout).toMatch(/^Power lost: qkmd stopped at once/);
    await d.exited;
    expect(d.child.signalCode).toBe('SIGKILL');
    expectSentence(run('hw', 'status'), /qkmd is not running/);
    expect(existsSync(path.join(dir, 'qkmd.sock'))).toBe(true); // stale, as after a real power loss

    const d2 = await qkmd();
    s = status();
    expect(open(s)).toEqual(['hw:degraded-at-boot:md0', 'hw:disk-missing:bay0']);
    expect(panel(s)).toBe('err=on a0=off s0=off a1=blink16000 s1=off');
    run('sim', 'insert-disk', '0');
    s = await until((x) => x.raid.state === 'clean', 'the rebuild after power-on');
    expect(open(s)).toEqual(['hw:rebuild-finished:bay0']);
    expect(s.tickets.find((t) => t.condition === 'hw:degraded-at-boot:md0')!.open).toBe(false);

    d2.child.kill('SIGTERM');
    expect(await d2.exited).toBe(0);
    expect(existsSync(path.join(dir, 'qkmd.sock'))).toBe(false);
  });
});
