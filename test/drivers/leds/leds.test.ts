import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, afterEach } from 'vitest';
import { FileRoot, FixtureRunner } from '../../../drivers/runner.js';
import { SysfsLeds, activeTrigger } from '../../../drivers/leds/sysfs.js';
import { LedctlLeds } from '../../../drivers/leds/ledctl.js';
import { IpmiIdentifyLed } from '../../../drivers/leds/ipmi.js';
import { SimLeds } from '../../../drivers/leds/sim.js';
import { LedRouter } from '../../../drivers/leds/router.js';
import { FRONT_PANEL_LEDS, type LedState } from '../../../drivers/leds/contract.js';
import { isDriverError } from '../../../drivers/errors.js';
import { fixturePath, makeTempRoot, removeTempRoot } from '../helpers.js';
import { ledContract } from './contract.js';

const ALL: LedState[] = [{ state: 'off' }, { state: 'on' }, { state: 'blink', periodMs: 16_000 }, { state: 'blink', periodMs: 500 }, { state: 'flicker' }];

const SYSFS_NAMES = { power: 'qkm:green:power', serverError: 'qkm:amber:error', hddActivity: 'qkm:green:hdd' } as const;

/** A temp root holding the LED class tree from firmware-fixtures/leds/sysfs. */
async function sysfsRoot(): Promise<string> {
  const root = await makeTempRoot('qkm-leds-');
  await fs.cp(fixturePath('leds', 'sysfs'), root, { recursive: true });
  return root;
}

function ledctlRunner(): FixtureRunner {
  const r = new FixtureRunner();
  for (const p of ['normal', 'failure', 'rebuild', 'locate']) {
    for (const d of ['/dev/sda', '/dev/sdb']) r.set(`ledctl ${p}=${d}`, { code: 0 });
  }
  return r;
}

ledContract('sysfs (LED class under a temp root)', async () => {
  const root = await sysfsRoot();
  return {
    backend: new SysfsLeds({ root: new FileRoot(root), names: SYSFS_NAMES }),
    supported: ALL,
    unsupported: [],
    cleanup: () => removeTempRoot(root),
  };
});

ledContract('ledctl (drive-bay status)', async () => ({
  backend: new LedctlLeds({ runner: ledctlRunner(), devices: { 'bay0.status': '/dev/sda', 'bay1.status': '/dev/sdb' } }),
  supported: [{ state: 'off' }, { state: 'on' }, { state: 'blink', periodMs: 1000 }],
  unsupported: [{ state: 'flicker' }],
}));

ledContract('ipmitool (BMC identify)', async () => ({
  backend: new IpmiIdentifyLed({
    runner: new FixtureRunner({ 'ipmitool chassis identify force': {}, 'ipmitool chassis identify 0': {} }),
  }),
  supported: [{ state: 'off' }, { state: 'on' }, { state: 'blink', periodMs: 1000 }],
  unsupported: [{ state: 'flicker' }],
}));

ledContract('sim', async () => ({ backend: new SimLeds(), supported: ALL, unsupported: [] }));

ledContract('router (mapping from configuration)', async () => {
  const root = await sysfsRoot();
  const sysfs = new SysfsLeds({ root: new FileRoot(root), names: SYSFS_NAMES });
  const ledctl = new LedctlLeds({ runner: ledctlRunner(), devices: { 'bay0.status': '/dev/sda' } });
  return {
    backend: new LedRouter({ power: 'sysfs', hddActivity: 'sysfs', 'bay0.status': 'ledctl' }, { sysfs, ledctl }),
    supported: [{ state: 'off' }, { state: 'on' }],
    unsupported: [],
    cleanup: () => removeTempRoot(root),
  };
});

describe('sysfs LED backend writes', () => {
  let root = '';
  afterEach(() => removeTempRoot(root));
  const file = (led: string, f: string) => fs.readFile(path.join(root, 'sys/class/leds', led, f), 'utf8');

  it('reads the fixture tree: default-on power, off error, timer hdd blinking every 16 s', async () => {
    root = await sysfsRoot();
    const leds = new SysfsLeds({ root: new FileRoot(root), names: SYSFS_NAMES });
    expect(await leds.get('power')).toEqual({ state: 'on' });
    expect(await leds.get('serverError')).toEqual({ state: 'off' });
    expect(await leds.get('hddActivity')).toEqual({ state: 'blink', periodMs: 16_000 });
  });

  it('blink lands in the temp root as the timer trigger with a short flash per period', async () => {
    root = await sysfsRoot();
    const leds = new SysfsLeds({ root: new FileRoot(root), names: SYSFS_NAMES });
    await leds.set('serverError', { state: 'blink', periodMs: 16_000 });
    expect(await file('qkm:amber:error', 'trigger')).toBe('timer');
    expect(await file('qkm:amber:error', 'delay_on')).toBe('250');
    expect(await file('qkm:amber:error', 'delay_off')).toBe('15750');
    await leds.set('serverError', { state: 'blink', periodMs: 400 });
    expect(await file('qkm:amber:error', 'delay_on')).toBe('200');
    expect(await file('qkm:amber:error', 'delay_off')).toBe('200');
  });

  it('flicker is a fast timer; on uses max_brightness; off clears the trigger', async () => {
    root = await sysfsRoot();
    const leds = new SysfsLeds({ root: new FileRoot(root), names: SYSFS_NAMES });
    await leds.set('power', { state: 'flicker' });
    expect([await file('qkm:green:power', 'trigger'), await file('qkm:green:power', 'delay_on'), await file('qkm:green:power', 'delay_off')]).toEqual(['timer', '50', '50']);
    await leds.set('power', { state: 'on' });
    expect([await file('qkm:green:power', 'trigger'), await file('qkm:green:power', 'brightness')]).toEqual(['none', '255']);
    await leds.set('power', { state: 'off' });
    expect([await file('qkm:green:power', 'trigger'), await file('qkm:green:power', 'brightness')]).toEqual(['none', '0']);
  });

  it('finds the active trigger in the kernel list', () => {
    expect(activeTrigger('none kbd-numlock [timer] heartbeat\n')).toBe('timer');
    expect(activeTrigger('[none] timer')).toBe('none');
    expect(activeTrigger('timer')).toBe('timer');
  });

  it('refuses an LED name that would climb out of /sys/class/leds', async () => {
    root = await sysfsRoot();
    const leds = new SysfsLeds({ root: new FileRoot(root), names: { power: '../../../etc' } });
    await expect(leds.set('power', { state: 'on' })).rejects.toSatisfy((e) => isDriverError(e, 'CONFIG_INVALID'));
  });
});

describe('ledctl and ipmitool command lines', () => {
  it('maps the manual bay status states to IBPI patterns', async () => {
    const runner = ledctlRunner();
    const leds = new LedctlLeds({ runner, devices: { 'bay1.status': '/dev/sdb' } });
    await leds.set('bay1.status', { state: 'on' });
    await leds.set('bay1.status', { state: 'blink', periodMs: 1000 });
    await leds.set('bay1.status', { state: 'off' });
    await leds.locate('bay1.status');
    expect(runner.calls.map((c) => c.line)).toEqual(['ledctl failure=/dev/sdb', 'ledctl rebuild=/dev/sdb', 'ledctl normal=/dev/sdb', 'ledctl locate=/dev/sdb']);
  });

  it('reports a failing ledctl as COMMAND_FAILED and keeps the old state', async () => {
    const runner = new FixtureRunner({ 'ledctl failure=/dev/sda': { code: 1, stderr: 'ledctl: invalid device' } });
    const leds = new LedctlLeds({ runner, devices: { 'bay0.status': '/dev/sda' } });
    await expect(leds.set('bay0.status', { state: 'on' })).rejects.toSatisfy((e) => isDriverError(e, 'COMMAND_FAILED'));
    expect(await leds.get('bay0.status')).toEqual({ state: 'off' });
  });

  it('identify on/off become chassis identify force / 0', async () => {
    const runner = new FixtureRunner({ 'ipmitool chassis identify force': {}, 'ipmitool chassis identify 0': {} });
    const led = new IpmiIdentifyLed({ runner });
    await led.set('identify', { state: 'on' });
    await led.set('identify', { state: 'off' });
    expect(runner.calls.map((c) => c.line)).toEqual(['ipmitool chassis identify force', 'ipmitool chassis identify 0']);
  });
});

describe('LED router and sim', () => {
  it('rejects a mapping to a backend that is not configured', () => {
    expect(() => new LedRouter({ power: 'gpio' }, { sim: new SimLeds() })).toThrow(/not a configured LED backend/);
  });

  it('sim knows the whole front panel and reports changes once', async () => {
    const sim = new SimLeds();
    expect(sim.leds()).toEqual([...FRONT_PANEL_LEDS]);
    const seen: string[] = [];
    sim.onChange((c) => seen.push(`${c.led}:${c.state.state}`));
    await sim.set('serverError', { state: 'on' });
    await sim.set('serverError', { state: 'on' });
    await sim.set('bay1.status', { state: 'blink', periodMs: 1000 });
    expect(seen).toEqual(['serverError:on', 'bay1.status:blink']);
  });
});
