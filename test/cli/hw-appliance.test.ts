import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRoot } from '../../drivers/file-root.js';
import type { LedState } from '../../drivers/leds/contract.js';
import { SysfsLeds } from '../../drivers/leds/sysfs.js';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { REPO } from '../helpers/worker.js';

/**
 * A real qkmd on the appliance profile (config/appliance.toml as shipped), fed a fake
 * machine: [hardware] root is a temp tree holding proc/mdstat and sys/class/leds copied
 * from firmware-fixtures/, and PATH holds only a temp bin of small mdadm, smartctl,
 * ledctl, wipefs, blkid and sfdisk scripts that print fixture output for the state under
 * test and record every command line. A tool that is not faked is not found at all, so
 * nothing here can reach this machine's disks or LEDs.
 */
const FIX = path.join(REPO, 'firmware-fixtures');
const APPLIANCE_TOML = path.join(REPO, 'config', 'appliance.toml');

let dir: string;
let root: string;
let state: string;
let daemons: Awaited<ReturnType<typeof startQkmd>>[] = [];

function fake(bin: string, tool: string, body: string): void {
  const file = path.join(bin, tool);
  writeFileSync(
    file,
    `#!/bin/sh\nPATH=/usr/bin:/bin\nprintf '%s\\n' "${tool} $*" >> '${state}/calls.log'\n${body}\n`,
  );
  chmodSync(file, 0o755);
}

beforeEach(() => {
  dir = tempDir('qkm-hw-appliance-');
  root = path.join(dir, 'root');
  state = path.join(dir, 'state');
  const bin = path.join(dir, 'bin');
  for (const d of [root, state, bin, path.join(root, 'proc')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(state, 'calls.log'), '');

  // The fixture tree has the power, HDD and error LEDs; the CD and bay activity LEDs are
  // GPIO LEDs of the same kind, so they start as copies of the HDD LED's directory.
  cpSync(path.join(FIX, 'leds', 'sysfs', 'sys'), path.join(root, 'sys'), { recursive: true });
  const leds = path.join(root, 'sys', 'class', 'leds');
  for (const name of ['qkm:green:cd', 'qkm:green:hdd0', 'qkm:green:hdd1']) {
    cpSync(path.join(leds, 'qkm:green:hdd'), path.join(leds, name), { recursive: true });
  }

  fake(bin, 'smartctl', [
    'for last; do :; done',
    `f='${state}'/smartctl-$(basename "$last")`,
    'cat "$f.json"',
    'exit $(cat "$f.code")',
  ].join('\n'));
  fake(bin, 'mdadm', [
    // No --detail recorded for these states: the md driver then judges from /proc/mdstat alone.
    `if [ "$1" = --detail ]; then echo "mdadm: no detail recorded for this state" >&2; exit 1; fi`,
    'exit 0',
  ].join('\n'));
  fake(bin, 'ledctl', 'exit 0');
  fake(bin, 'wipefs', `cat '${state}/wipefs.json'`);
  fake(bin, 'blkid', `cat '${state}/blkid.txt'\nexit $(cat '${state}/blkid.code')`);
  fake(bin, 'sfdisk', [
    `if [ "$1" = -d ]; then cat '${FIX}/raid/sfdisk-dump-gpt.txt'; exit 0; fi`,
    `cat > '${state}/sfdisk-input.txt'`,
  ].join('\n'));
  env = {
    PATH: bin,
    QKM_HARDWARE_ROOT: root,
    // The fixtures' mirror is md6 over sda2 and, once replaced, sdc.
    QKM_HARDWARE_MD_ARRAY: '/dev/md6',
    QKM_HARDWARE_BAY1_DISK: '/dev/sdc',
    QKM_SERVER_SERIAL: 'QKMAPPL01',
    QKM_KMIP_HOST: '127.0.0.1',
    QKM_AGENT_POLL_SECONDS: '1',
  };
});
afterEach(async () => {
  for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  daemons = [];
  removeDir(dir);
});

let env: Record<string, string>;

const mdstat = (fixture: string) => copyFileSync(path.join(FIX, 'raid', fixture), path.join(root, 'proc', 'mdstat'));
/** What smartctl answers for one disk: a fixture and smartctl's exit status. */
function disk(dev: 'sda' | 'sdc', fixture: string): void {
  const text = readFileSync(path.join(FIX, 'disks', fixture), 'utf8');
  writeFileSync(path.join(state, `smartctl-${dev}.json`), text);
  const doc = JSON.parse(text) as { smartctl?: { exit_status?: number } };
  writeFileSync(path.join(state, `smartctl-${dev}.code`), String(doc.smartctl?.exit_status ?? 0));
}
/** What wipefs and blkid find on the new disk. */
function contents(kind: 'blank' | 'ext4'): void {
  copyFileSync(path.join(FIX, 'raid', `wipefs-${kind}.json`), path.join(state, 'wipefs.json'));
  copyFileSync(path.join(FIX, 'raid', `blkid-${kind}.txt`), path.join(state, 'blkid.txt'));
  writeFileSync(path.join(state, 'blkid.code'), kind === 'blank' ? '2' : '0');
}
const calls = () => readFileSync(path.join(state, 'calls.log'), 'utf8').split('\n').filter(Boolean);

const qkmd = async (extra: Record<string, string> = {}) => {
  const d = await startQkmd(['--config', APPLIANCE_TOML, '--data-dir', path.join(dir, 'data')], { ...env, ...extra });
  daemons.push(d);
  return d;
};

interface L { state: string; periodMs?: number }
interface Status {
  leds: { power: L; hddActivity: L; serverError: L; cdActivity: L; bays: { bay: number; activity: L; status: L }[] };
  raid: { state: string; percent: number | null; array: string | null };
  disks: { bay: number; present: boolean; serial: string | null; condition: string | null }[];
  tickets: { id: number; condition: string; severity: string; open: boolean; text: string }[];
  agent: { profile: string; running: boolean; blind: string[] };
}

function status(): Status {
  const r = qkmcmds(['--data-dir', path.join(dir, 'data'), 'hw', 'status', '--json'], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Status;
}
const f = (l: L) => (l.state === 'blink' ? `blink${l.periodMs}` : l.state);
/** The panel as hw status reports it: "err=on a0=blink16000 s0=off a1=off s1=off". */
const panel = (s: Status) =>
  [`err=${f(s.leds.serverError)}`, ...s.leds.bays.flatMap((b) => [`a${b.bay}=${f(b.activity)}`, `s${b.bay}=${f(b.status)}`])].join(' ');
const open = (s: Status) => s.tickets.filter((t) => t.open).map((t) => t.condition).sort();

/** The LEDs as qkmd left them in the temp sysfs tree, read back the way the kernel's files say. */
async function sysfsPanel(): Promise<string> {
  const names = { err: 'qkm:amber:error', a0: 'qkm:green:hdd0', a1: 'qkm:green:hdd1' } as const;
  const leds = new SysfsLeds({ root: new FileRoot(root), names: { serverError: names.err, 'bay0.activity': names.a0, 'bay1.activity': names.a1 } });
  const show = (l: LedState) => f(l as L);
  return `err=${show(await leds.get('serverError'))} a0=${show(await leds.get('bay0.activity'))} a1=${show(await leds.get('bay1.activity'))}`;
}
const sysfsFile = (led: string, file: string) => readFileSync(path.join(root, 'sys', 'class', 'leds', led, file), 'utf8').trim();

async function until(pred: (s: Status) => boolean, what: string, ms = 12_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = status();
    if (pred(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${panel(s)} ${s.raid.state} ${open(s).join(',')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const READS = [/^smartctl --json -a \/dev\/sd[ac]$/, /^mdadm --detail --export \/dev\/md6$/, /^ledctl (normal|failure|rebuild)=\/dev\/sd[ac]$/];
/** Nothing but reads, LED commands and `also`: no tool that writes to a disk ran. */
function expectNoDiskWrites(also: RegExp[] = []): void {
  for (const line of calls()) expect([...READS, ...also].some((re) => re.test(line)), `qkmd ran "${line}"`).toBe(true);
}

describe('qkmd on the appliance profile, against a fake machine', () => {
  it('degraded, a disk inserted and waiting for a person, recovering, clean; nothing written to a disk', async () => {
    mdstat('mdstat-degraded.txt');
    disk('sda', 'smartctl-ata-passing.json');
    disk('sdc', 'smartctl-open-failed.json');
    const d = await qkmd();
    expect(d.output().stdout).toMatch(/appliance hardware\n[\s\S]*hardware agent running/);

    let s = status();
    expect(s.agent).toMatchObject({ profile: 'appliance', running: true, blind: [] });
    expect(s.raid).toMatchObject({ state: 'degraded', percent: null, array: 'md6' });
    expect(s.leds.power).toEqual({ state: 'on' });
    expect(panel(s)).toBe('err=on a0=blink16000 s0=off a1=off s1=off');
    expect(await sysfsPanel()).toBe('err=on a0=blink16000 a1=off');
    expect(sysfsFile('qkm:amber:error', 'brightness')).toBe('255'); // max_brightness, as the kernel wants "on"
    expect(sysfsFile('qkm:green:power', 'trigger')).toBe('none');
    expect(open(s)).toEqual(['hw:degraded-at-boot:md6', 'hw:disk-missing:bay1']);

    // A blank disk goes into bay 1: fast blink and amber first, then it waits for a person.
    disk('sdc', 'smartctl-ata-passing-wd-red.json');
    s = status();
    expect(panel(s)).toBe('err=on a0=blink16000 s0=off a1=blink250 s1=on');
    expect(calls()).toContain('ledctl failure=/dev/sdc');
    s = await until((x) => open(x).includes('disk-readd:waiting:bay1'), 'the waiting-disk ticket');
    const waiting = s.tickets.find((t) => t.condition === 'disk-readd:waiting:bay1')!;
    expect(waiting.text).toMatch(/^The disk REDACTED in bay 1 is not in the mirror \/dev\/md6, and qkmd writes to no disk by itself \(\[hardware\] readd_blank_disks = false\); .*sfdisk -d \/dev\/sda \| sfdisk \/dev\/sdc, then mdadm \/dev\/md6 --add \/dev\/sdc1/);

    // A person added it; md rebuilds.
    mdstat('mdstat-recovery-8.5.txt');
    s = status();
    expect(s.raid).toMatchObject({ state: 'recovering', percent: 8.5 });
    expect(panel(s)).toBe('err=off a0=flicker s0=off a1=flicker s1=blink1000');
    expect(await sysfsPanel()).toBe('err=off a0=flicker a1=flicker');
    expect(sysfsFile('qkm:green:hdd1', 'delay_on')).toBe('50');
    expect(calls()).toContain('ledctl rebuild=/dev/sdc');
    expect(open(s)).toEqual(['hw:degraded-at-boot:md6', 'hw:rebuild-started:bay1']);

    mdstat('mdstat-recovery-47.3.txt');
    s = status();
    expect(s.raid).toMatchObject({ state: 'recovering', percent: 47.3 });
    expect(open(s)).toEqual(['hw:degraded-at-boot:md6', 'hw:rebuild-progress:bay1:25']);

    mdstat('mdstat-clean-after-recovery.txt');
    s = status();
    expect(s.raid).toMatchObject({ state: 'clean', percent: null });
    expect(panel(s)).toBe('err=off a0=blink16000 s0=off a1=blink16000 s1=off');
    expect(await sysfsPanel()).toBe('err=off a0=blink16000 a1=blink16000');
    expect(calls()).toContain('ledctl normal=/dev/sdc');
    expect(open(s)).toEqual(['hw:rebuild-finished:bay1']);
    const history = s.tickets.filter((t) => !t.open).map((t) => t.condition);
    expect(history).toEqual(expect.arrayContaining(['hw:disk-missing:bay1', 'hw:degraded-at-boot:md6', 'hw:rebuild-started:bay1']));
    expect(s.tickets.some((t) => t.condition === 'disk-readd:waiting:bay1')).toBe(false); // closed once the disk was in

    expectNoDiskWrites();
    expect(calls().filter((l) => l.startsWith('smartctl')).length).toBeGreaterThan(4);
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('with readd_blank_disks on: a disk with data is left alone, a blank one is partitioned and added', async () => {
    mdstat('mdstat-degraded.txt');
    disk('sda', 'smartctl-ata-passing.json');
    disk('sdc', 'smartctl-open-failed.json');
    const d = await qkmd({ QKM_HARDWARE_READD_BLANK_DISKS: 'true' });
    expect(open(status())).toEqual(['hw:degraded-at-boot:md6', 'hw:disk-missing:bay1']);

    // A used disk (an ext4 file system on it): looked at, never written to.
    contents('ext4');
    disk('sdc', 'smartctl-ata-passing-wd-red.json');
    let s = await until((x) => open(x).includes('disk-readd:not-blank:bay1'), 'the not-blank ticket');
    expect(s.tickets.find((t) => t.condition === 'disk-readd:not-blank:bay1')!.text).toMatch(
      /^The new disk REDACTED in bay 1 is not blank \(ext4 at 0x438, ext4 file system\), so qkmd wrote nothing to it; insert a blank disk/,
    );
    expect(calls()).toEqual(expect.arrayContaining(['wipefs --no-act --json /dev/sdc', 'blkid -p -o export /dev/sdc']));
    expectNoDiskWrites([/^wipefs --no-act --json \/dev\/sdc$/, /^blkid -p -o export \/dev\/sdc$/]);

    // Pulled again: the ticket closes. A blank disk goes in and is put back into the mirror.
    disk('sdc', 'smartctl-open-failed.json');
    s = status();
    expect(open(s)).toEqual(['hw:degraded-at-boot:md6', 'hw:disk-missing:bay1']);
    contents('blank');
    disk('sdc', 'smartctl-sas-grown-defects.json');
    const before = calls().length;
    await until(() => calls().includes('mdadm /dev/md6 --add /dev/sdc1'), 'mdadm --add');
    const writes = calls().slice(before).filter((l) => !/^(smartctl|ledctl|mdadm --detail)/.test(l));
    expect(writes).toEqual([
      'wipefs --no-act --json /dev/sdc',
      'blkid -p -o export /dev/sdc',
      'sfdisk -d /dev/sda',
      'sfdisk /dev/sdc',
      'mdadm /dev/md6 --add /dev/sdc1',
    ]);
    // The good disk's table, without its own identity: the new disk gets fresh identifiers.
    const table = readFileSync(path.join(state, 'sfdisk-input.txt'), 'utf8');
    expect(table).toMatch(/^label: gpt$/m);
    expect(table).not.toMatch(/label-id|uuid=/);
    expect(open(status()).filter((c) => c.startsWith('disk-readd:'))).toEqual([]);

    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('refuses a configuration whose bays share one disk, in one sentence', async () => {
    mdstat('mdstat-degraded.txt');
    await expect(qkmd({ QKM_HARDWARE_BAY1_DISK: '/dev/sda' })).rejects.toThrow(
      /hardware\.bay0_disk and hardware\.bay1_disk are both \/dev\/sda, but each bay needs its own disk/,
    );
    expect(calls()).toEqual([]); // refused before any tool ran
  });
});

