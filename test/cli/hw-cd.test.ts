import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { needsTool } from '../helpers/tools.js';

/**
 * A slow drive (128 KiB/s, a 1x CD is 150), so the ~0.7 MB disc keeps the LED on for over
 * 5 s: long enough for a qkmcmds call to see it on, even on a loaded machine.
 */
const ENV = { QKM_AGENT_POLL_SECONDS: '1', QKM_SIM_CD_READ_KIBPS: '128' };

const xorriso = needsTool('xorriso', 'xorriso', 'hw-cd.test');

let dir: string;
let daemons: Awaited<ReturnType<typeof startQkmd>>[] = [];
beforeEach(() => {
  dir = tempDir('qkm-hw-cd-');
});
afterEach(async () => {
  for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  daemons = [];
  removeDir(dir);
});

const run = (...args: string[]) => qkmcmds(['--data-dir', path.join(dir, 'data'), ...args], ENV);
interface Cd { present: boolean; trayOpen: boolean | null; media: { label: string | null; sizeBytes: number | null } | null; busy: boolean }
interface Status { leds: { cdActivity: { state: string }; serverError: { state: string } }; cd: Cd; tickets: { open: boolean }[] }
function status(): Status {
  const r = run('hw', 'status', '--json');
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Status;
}

describe('the CD drive of the simulated appliance, through qkmcmds against a running qkmd', () => {
  it.skipIf(xorriso.skip)('insert a real ISO, read it (CD LED on), LED off after; eject; a missing file refused', async () => {
    if (xorriso.missing) throw new Error('QKM_REQUIRE_TOOLS=1 but xorriso is not installed; apt-get install -y xorriso');
    const src = path.join(dir, 'disc');
    mkdirSync(src);
    writeFileSync(path.join(src, 'update.bin'), randomBytes(700 * 1024));
    const iso = path.join(dir, 'x.iso');
    const mk = spawnSync('xorriso', ['-as', 'mkisofs', '-V', 'QKMTEST', '-o', iso, src], { encoding: 'utf8' });
    expect(mk.status, mk.stderr).toBe(0);

    daemons.push(await startQkmd(['--data-dir', path.join(dir, 'data')], ENV));
    let s = status();
    expect(s.cd).toEqual({ present: true, trayOpen: false, media: null, busy: false });
    expect(s.leds.cdActivity).toEqual({ state: 'off' });

    const missing = run('sim', 'insert-cd', path.join(dir, 'nope.iso'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/There is no ISO image at .*nope\.iso to put in the CD drive/);
    expect(run('sim', 'read-cd').stderr).toMatch(/^qkmcmds: The CD drive has no disc; insert one first\.\n$/);

    expect(run('sim', 'insert-cd', iso).stdout).toMatch(/^Inserted the disc QKMTEST \(\d\.\d MB\) and closed the tray\.\n$/);
    s = status();
    expect(s.cd).toMatchObject({ present: true, trayOpen: false, media: { label: 'QKMTEST' }, busy: false });
    expect(s.leds.cdActivity.state).toBe('off');

    const started = Date.now();
    expect(run('sim', 'read-cd').stdout).toMatch(/^Reading the disc QKMTEST .* the CD activity LED stays on for about \d\.\d s\.\n$/);
    s = status();
    expect(s.cd.busy).toBe(true);
    expect(s.leds.cdActivity).toEqual({ state: 'on' });
    expect(s.leds.serverError.state).toBe('off');
    for (const end = Date.now() + 30_000; status().cd.busy; ) {
      if (Date.now() > end) throw new Error('the CD read did not finish within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(Date.now() - started).toBeGreaterThan(1_000); // it really read at the drive's speed
    s = status();
    expect(s.leds.cdActivity).toEqual({ state: 'off' });
    expect(s.tickets.filter((t) => t.open)).toEqual([]);
    expect(run('hw', 'status').stdout).toMatch(/CD ACTIVITY {4}\( \) green off {3}disc QKMTEST \(\d\.\d MB\)\n/);

    expect(run('sim', 'eject-cd').stdout).toBe('Ejected the disc QKMTEST; the tray is open.\n');
    s = status();
    expect(s.cd).toEqual({ present: true, trayOpen: true, media: null, busy: false });
    expect(run('hw', 'status').stdout).toMatch(/CD ACTIVITY .* tray open\n/);
  }); // the suite's time-out: a dozen qkmcmds processes take over 15 s on a loaded 2-core machine
});
