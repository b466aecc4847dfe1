import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LinuxSystem } from '../../drivers/system/linux.js';
import type { CommandRunner } from '../../drivers/runner.js';
import { applySystemChanges, checkDateTime, checkHostname, checkPort2, checkTimeZone, dryRunLog, readSystemRecord, systemBackend } from '../../src/admin/system-settings.js';
import { loadConfig } from '../../src/config/config.js';
import { type QkmError, isQkmError } from '../../src/errors.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('qkm-system-');
});
afterEach(() => removeDir(dir));

/** The refusal `f` throws: one sentence with its code. */
function refusal(f: () => unknown): QkmError {
  try {
    f();
  } catch (e) {
    if (!isQkmError(e)) throw e;
    expect(e.message.trim().split(/(?<=[.;]) (?=[A-Z])/)).toHaveLength(1);
    return e;
  }
  throw new Error('no refusal');
}

it('port 2: a bad address, a non-contiguous netmask, a gateway outside the subnet and port 1\'s address are each refused with their code', () => {
  const good = { address: '10.20.30.40', netmask: '255.255.255.0', gateway: '10.20.30.1' };
  expect(checkPort2(good)).toEqual(good);
  expect(checkPort2({ address: '172.16.5.9', netmask: '255.255.240.0', gateway: '172.16.0.1' }).address).toBe('172.16.5.9');
  expect(refusal(() => checkPort2({ ...good, address: '10.20.30.400' })).code).toBe('SYSTEM_BAD_ADDRESS');
  expect(refusal(() => checkPort2({ ...good, address: 'ten.0.0.1' })).code).toBe('SYSTEM_BAD_ADDRESS');
  expect(refusal(() => checkPort2({ ...good, address: '127.0.0.5' })).code).toBe('SYSTEM_BAD_ADDRESS');
  expect(refusal(() => checkPort2({ ...good, address: '10.20.30.255' })).message).toMatch(/broadcast address/);
  for (const netmask of ['255.0.255.0', '255.255.255.253', '0.0.0.0', '255.255.255.255', '24']) {
    expect(refusal(() => checkPort2({ ...good, netmask })).code).toBe('SYSTEM_BAD_NETMASK');
  }
  expect(refusal(() => checkPort2({ ...good, gateway: '10.20.31.1' })).code).toBe('SYSTEM_GATEWAY_OUTSIDE');
  expect(refusal(() => checkPort2({ ...good, gateway: good.address })).code).toBe('SYSTEM_GATEWAY_OUTSIDE');
  expect(refusal(() => checkPort2({ address: '192.168.18.3', netmask: '255.255.255.0', gateway: '192.168.18.1' })).code).toBe('SYSTEM_PORT1_ADDRESS');
  expect(checkPort2({ address: '192.168.18.4', netmask: '255.255.255.0', gateway: '192.168.18.1' }).address).toBe('192.168.18.4');
});

it('host names, time zones and dates are checked against their rules', () => {
  expect(checkHostname('qkm-east-2')).toBe('qkm-east-2');
  for (const bad of ['-qkm', 'qkm-', 'qkm_east', 'qkm.example.com', '', 'a'.repeat(64)]) expect(refusal(() => checkHostname(bad)).code).toBe('SYSTEM_BAD_HOSTNAME');
  expect(checkTimeZone('Europe/Paris')).toBe('Europe/Paris');
  expect(checkTimeZone('UTC')).toBe('UTC');
  for (const bad of ['Mars/Olympus_Mons', '../../etc/passwd', 'Europe', '']) expect(refusal(() => checkTimeZone(bad)).code).toBe('SYSTEM_BAD_TIME_ZONE');
  expect(checkDateTime('2026-12-04 14:05')).toBe('2026-12-04 14:05:00');
  for (const bad of ['2026-02-30 10:00', '2026-12-04 24:00', '04/12/2026 10:00', 'tomorrow']) expect(refusal(() => checkDateTime(bad)).code).toBe('SYSTEM_BAD_DATE_TIME');
});

it('the simulator\'s backend is a dry run recording the commands; the record follows what was applied', async () => {
  const config = loadConfig({ dataDir: dir });
  const backend = systemBackend(dir, config);
  expect(backend.kind).toBe('dry-run');
  await applySystemChanges(dir, config, backend, [
    { setting: 'port2', value: { address: '10.1.2.3', netmask: '255.255.0.0', gateway: '10.1.0.1' } },
    { setting: 'dateTime', value: '2026-12-04 14:05:00' },
  ]);
  const lines = readFileSync(dryRunLog(dir), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { command: string[] }).command.join(' '));
  expect(lines).toEqual([
    'ip address flush dev eth1',
    'ip address add 10.1.2.3/16 dev eth1',
    'ip route replace default via 10.1.0.1 dev eth1',
    'timedatectl set-time 2026-12-04 14:05:00',
  ]);
  expect(readSystemRecord(dir, config).port2.address).toBe('10.1.2.3');
  expect(readSystemRecord(dir, config).hostname).toBe(config.server.hostname);
});

it('the linux backend runs the same commands through the runner, and a failing one is the change\'s one sentence with nothing recorded', async () => {
  const ran: string[] = [];
  const runner: CommandRunner = {
    run: async (cmd, args) => {
      ran.push([cmd, ...args].join(' '));
      return cmd === 'timedatectl' ? { stdout: '', stderr: 'Failed to set time zone: Access denied\n', code: 1 } : { stdout: '', stderr: '', code: 0 };
    },
  };
  const config = loadConfig({ dataDir: dir });
  await applySystemChanges(dir, config, new LinuxSystem(runner), [{ setting: 'hostname', value: 'qkm-west' }]);
  expect(ran).toEqual(['hostnamectl set-hostname qkm-west']);
  const e = await applySystemChanges(dir, config, new LinuxSystem(runner), [{ setting: 'timeZone', value: 'Europe/Paris' }]).catch((x: QkmError) => x);
  expect((e as QkmError).code).toBe('SYSTEM_APPLY_FAILED');
  expect((e as QkmError).message).toMatch(/Access denied/);
  expect(readSystemRecord(dir, config)).toMatchObject({ hostname: 'qkm-west', timeZone: 'UTC' });
  expect(path.basename(dryRunLog(dir))).toBe('dry-run.jsonl');
});
