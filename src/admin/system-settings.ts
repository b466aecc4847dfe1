import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { ExecFileRunner } from '../../drivers/runner.js';
import { PORT1_ADDRESS, type Port2Settings, type SystemBackend, type SystemChange } from '../../drivers/system/contract.js';
import { DryRunSystem } from '../../drivers/system/dry-run.js';
import { LinuxSystem } from '../../drivers/system/linux.js';
import type { QkmConfig } from '../config/config.js';
import { QkmError } from '../errors.js';
import { writeFileDurable } from '../util/durable-file.js';

export { PORT1_ADDRESS, type Port2Settings, type SystemChange };

/** What the appliance is set to, as the console shows it (the record of what was applied). */
export interface SystemRecord {
  port2: Port2Settings;
  hostname: string;
  timeZone: string;
}

const systemDir = (dataDir: string) => path.join(dataDir, 'system');
const recordFile = (dataDir: string) => path.join(systemDir(dataDir), 'settings.json');
/** Where the dry-run backend writes the commands it would have run. */
export const dryRunLog = (dataDir: string): string => path.join(systemDir(dataDir), 'dry-run.jsonl');

export function readSystemRecord(dataDir: string, config: QkmConfig): SystemRecord {
  // Port 2's factory address sits beside port 1's (192.168.18.3) until the wizard sets it.
  const fallback: SystemRecord = { port2: { address: '192.168.18.4', netmask: '255.255.255.0', gateway: '192.168.18.1' }, hostname: config.server.hostname, timeZone: 'UTC' };
  if (!existsSync(recordFile(dataDir))) return fallback;
  return { ...fallback, ...(JSON.parse(readFileSync(recordFile(dataDir), 'utf8')) as Partial<SystemRecord>) };
}

/** The real commands only on the appliance whose configuration lets qkm run them; otherwise a dry run. */
export function systemBackend(dataDir: string, config: QkmConfig): SystemBackend {
  if (config.hardware.profile === 'appliance' && config.hardware.run_commands) {
    return new LinuxSystem(new ExecFileRunner({ enabled: true, allow: ['ip', 'hostnamectl', 'timedatectl'] }));
  }
  return new DryRunSystem(dryRunLog(dataDir));
}

/** Carries out the staged changes in order, recording each once it is done. */
export async function applySystemChanges(dataDir: string, config: QkmConfig, backend: SystemBackend, changes: readonly SystemChange[]): Promise<void> {
  for (const change of changes) {
    try {
      await backend.apply(change);
    } catch (e) {
      throw new QkmError('SYSTEM_APPLY_FAILED', `The ${change.setting} setting could not be changed (${(e as Error).message}); the settings before it were applied.`, { params: { setting: change.setting, reason: (e as Error).message }, cause: e });
    }
    if (change.setting === 'dateTime') continue; // the clock is its own record
    const record = { ...readSystemRecord(dataDir, config), [change.setting]: change.value };
    writeFileDurable(recordFile(dataDir), `${JSON.stringify(record, null, 2)}\n`, 0o644);
  }
}

// --- checks: each refuses with one sentence, before anything is staged ---

const toInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

function checkAddress(what: string, value: string): void {
  const first = Number(value.split('.')[0]);
  if (!isIPv4(value) || first === 0 || first === 127 || first >= 224) {
    throw new QkmError('SYSTEM_BAD_ADDRESS', `"${value}" is not a usable IPv4 ${what}; type four numbers from 0 to 255 separated by dots, such as 10.20.30.40.`, { params: { what, value } });
  }
}

const notAHost = (address: string, netmask: string) =>
  new QkmError('SYSTEM_BAD_ADDRESS', `${address} is the network or broadcast address of its subnet (netmask ${netmask}); choose another address in it.`, { params: { what: 'address', value: address } });

/** Port 2's address, netmask and gateway, checked together. */
export function checkPort2(p: Port2Settings): Port2Settings {
  checkAddress('address', p.address);
  const mask = isIPv4(p.netmask) ? toInt(p.netmask) : -1;
  const hosts = 2 ** 32 - 1 - mask; // the host bits, all ones: contiguous when hosts + 1 is a power of two
  if (mask < 0 || ((hosts + 1) & hosts) !== 0 || hosts < 3 || hosts === 2 ** 32 - 1) {
    throw new QkmError('SYSTEM_BAD_NETMASK', `"${p.netmask}" is not a netmask; it must be ones then zeros, from 128.0.0.0 to 255.255.255.252, such as 255.255.255.0.`, { params: { netmask: p.netmask } });
  }
  const net = (ip: string) => toInt(ip) - (toInt(ip) % (hosts + 1));
  const host = toInt(p.address) % (hosts + 1);
  if (host === 0 || host === hosts) throw notAHost(p.address, p.netmask);
  if (p.address === PORT1_ADDRESS) {
    throw new QkmError('SYSTEM_PORT1_ADDRESS', `${PORT1_ADDRESS} is port 1's fixed address; give port 2 another one.`, { params: { address: p.address, port1: PORT1_ADDRESS } });
  }
  checkAddress('gateway', p.gateway);
  if (net(p.gateway) !== net(p.address) || p.gateway === p.address) {
    throw new QkmError('SYSTEM_GATEWAY_OUTSIDE', `The gateway ${p.gateway} is not another address of the subnet of ${p.address} with netmask ${p.netmask}; type a gateway inside it.`, { params: { gateway: p.gateway, address: p.address, netmask: p.netmask } });
  }
  return p;
}

export function checkHostname(name: string): string {
  if (!/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/.test(name)) {
    throw new QkmError('SYSTEM_BAD_HOSTNAME', `"${name}" is not a host name; use 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen.`, { params: { hostname: name } });
  }
  return name;
}

/** Known to the system's zone database (or, without one, to Node's). */
export function checkTimeZone(zone: string): string {
  const zoneinfo = '/usr/share/zoneinfo';
  const inDatabase = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(zone) && existsSync(path.join(zoneinfo, zone)) && statSync(path.join(zoneinfo, zone)).isFile();
  if (!inDatabase && !Intl.supportedValuesOf('timeZone').includes(zone)) {
    throw new QkmError('SYSTEM_BAD_TIME_ZONE', `"${zone}" is not a time zone; type a name such as Europe/Paris, America/Denver or UTC.`, { params: { timeZone: zone } });
  }
  return zone;
}

/** "YYYY-MM-DD HH:MM[:SS]", a real date; returned with seconds, as timedatectl takes it. */
export function checkDateTime(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  const [y, mo, d, h, mi, s] = (m?.slice(1) ?? []).map((x) => Number(x ?? 0));
  const date = m ? new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!)) : undefined;
  if (!date || date.getUTCMonth() !== mo! - 1 || date.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59 || y! < 2000) {
    throw new QkmError('SYSTEM_BAD_DATE_TIME', `"${value}" is not a date and time; type it as YYYY-MM-DD HH:MM, such as 2026-12-04 14:05.`, { params: { value } });
  }
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
