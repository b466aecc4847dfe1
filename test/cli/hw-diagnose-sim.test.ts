import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';

/** The rebuild starts 1 s after insertion and takes 12 s: long enough to capture it under way on a busy machine. */
const ENV = { QKM_SIM_REBUILD_SECONDS: '12', QKM_SIM_REBUILD_START_SECONDS: '1', QKM_AGENT_POLL_SECONDS: '1' };

let dir: string;
let daemon: Awaited<ReturnType<typeof startQkmd>> | undefined;
beforeEach(() => {
  dir = tempDir('qkm-diagnose-sim-');
});
afterEach(async () => {
  if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
    daemon.child.kill('SIGKILL');
    await daemon.exited;
  }
  removeDir(dir);
});

const run = (...args: string[]) => qkmcmds(['--data-dir', dir, ...args], ENV);

interface L { state: string; periodMs?: number }
interface Doc {
  leds: { serverError: L; bays: { bay: number; activity: L; status: L }[] };
  raid: { state: string; members: { bay: number | null; state: string }[] };
  tickets: { condition: string; open: boolean }[];
}

const short = (l: L) => (l.state === 'blink' ? `blink${l.periodMs}` : l.state);
/** The verdict in short: the array, each bay's member, the amber LEDs, the open hardware tickets. */
function verdict(d: Doc): string {
  const members = [0, 1].map((bay) => `${bay}:${d.raid.members.find((m) => m.bay === bay)?.state ?? '-'}`).join(' ');
  const amber = `err=${short(d.leds.serverError)} ${d.leds.bays.map((b) => `s${b.bay}=${short(b.status)}`).join(' ')}`;
  // A rebuild's notice names the last milestone passed, which depends on when the capture was taken.
  const tickets = d.tickets.filter((t) => t.open && t.condition.startsWith('hw:'))
    .map((t) => t.condition.replace(/^hw:rebuild-(started|progress):(bay\d)(:\d+)?$/, 'hw:rebuild-under-way:$2')).sort();
  return `${d.raid.state} ${members} ${amber} ${tickets.join(',')}`.trim();
}

const status = (): Doc => JSON.parse(run('hw', 'status', '--json').stdout) as Doc;

async function until(pred: (s: Doc) => boolean, what: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!pred(status())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${verdict(status())}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** `qkmcmds -L` on the running simulator, then `hw diagnose` on that .tgz (the capture removed after). */
function diagnoseCapture(): Doc {
  const r = run('-L');
  expect(r.code, r.stderr).toBe(0);
  const tgz = readdirSync(dir).find((f) => f.startsWith('qkm_logcapture_'))!;
  const d = qkmcmds(['--data-dir', path.join(dir, 'not-needed'), 'hw', 'diagnose', path.join(dir, tgz), '--json']);
  rmSync(path.join(dir, tgz));
  expect(d.stderr).toBe('');
  const doc = JSON.parse(d.stdout) as Doc & { unreadable: unknown[]; settingsFrom: string };
  expect(doc.unreadable).toEqual([]);
  expect(doc.settingsFrom).toBe("the capture's config/qkm.toml");
  return doc;
}

it('a capture of the simulator in each state of the disk replacement reads as the running agent saw it', async () => {
  daemon = await startQkmd(['--data-dir', dir], ENV);
  const seen: [string, string, string][] = [];
  const step = (name: string) => {
    const live = status().raid.state;
    seen.push([name, verdict(diagnoseCapture()), live]);
  };

  step('whole');
  expect(run('sim', 'fail-disk', '1').code).toBe(0);
  step('disk 1 failed');
  expect(run('sim', 'pull-disk', '1').code).toBe(0);
  step('disk 1 pulled');
  expect(run('sim', 'insert-disk', '1').code).toBe(0);
  await until((s) => s.raid.state === 'recovering', 'the rebuild to start');
  step('rebuilding onto the new disk');
  await until((s) => s.raid.state === 'clean', 'the rebuild to finish');
  step('rebuilt');

  expect(seen).toEqual([
    ['whole', 'clean 0:active 1:active err=off s0=off s1=off', 'clean'],
    ['disk 1 failed', 'degraded 0:active 1:faulty err=on s0=off s1=on hw:disk-failed:bay1', 'degraded'],
    ['disk 1 pulled', 'degraded 0:active 1:missing err=on s0=off s1=off hw:disk-missing:bay1', 'degraded'],
    ['rebuilding onto the new disk', 'recovering 0:active 1:rebuilding err=off s0=off s1=blink1000 hw:rebuild-under-way:bay1', 'recovering'],
    ['rebuilt', 'clean 0:active 1:active err=off s0=off s1=off', 'clean'],
  ]);
});
