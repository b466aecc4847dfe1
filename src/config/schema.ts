/**
 * Every setting qkm knows, in one table. The section/key names are an interface that
 * operators' scripts use; never rename one. Each row also yields its environment
 * variable (QKM_<SECTION>_<KEY>) so there is exactly one list to keep.
 */
export type SettingType =
  | { kind: 'string'; pattern?: RegExp; describe: string }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] };

export interface Setting {
  section: string;
  key: string;
  type: SettingType;
  default: string | number | boolean;
}

const hostPattern = /^[A-Za-z0-9.:_-]{1,253}$/;

export const SETTINGS: readonly Setting[] = [
  { section: 'paths', key: 'data_dir', type: { kind: 'string', pattern: /^.{1,4096}$/, describe: 'a directory path' }, default: './var' },
  // Empty serial: the hardware profile supplies one (the simulator mints one on first start).
  { section: 'server', key: 'serial', type: { kind: 'string', pattern: /^([A-Z0-9]{4,20})?$/, describe: 'empty, or 4 to 20 upper-case letters and digits' }, default: '' },
  { section: 'server', key: 'hostname', type: { kind: 'string', pattern: /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/, describe: 'a host name of 1 to 63 letters, digits and inner hyphens' }, default: 'qkmserver' },
  { section: 'kmip', key: 'host', type: { kind: 'string', pattern: hostPattern, describe: 'an IP address or host name' }, default: '127.0.0.1' },
  // 0 asks the system for any free port (tests); the appliance always uses 6000.
  { section: 'kmip', key: 'port', type: { kind: 'int', min: 0, max: 65535 }, default: 6000 },
  { section: 'keys', key: 'i500', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 1024 },
  { section: 'keys', key: 'i2000', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 4096 },
  { section: 'keys', key: 'depletion_percent', type: { kind: 'int', min: 1, max: 99 }, default: 80 },
  { section: 'keys', key: 'require_backup', type: { kind: 'bool' }, default: true },
  { section: 'pair', key: 'role', type: { kind: 'enum', values: ['standalone', 'primary', 'secondary'] }, default: 'standalone' },
  { section: 'pair', key: 'peer', type: { kind: 'string', pattern: /^([A-Za-z0-9.:_\[\]-]{1,253})?$/, describe: 'empty, or host:port of the other server' }, default: '' },
  { section: 'hardware', key: 'profile', type: { kind: 'enum', values: ['sim', 'appliance'] }, default: 'sim' },
  // The hardware agent: how often it reads the drivers, how long one driver call may take.
  { section: 'agent', key: 'poll_seconds', type: { kind: 'int', min: 1, max: 3600 }, default: 10 },
  { section: 'agent', key: 'raid_events', type: { kind: 'bool' }, default: true },
  { section: 'agent', key: 'driver_timeout_seconds', type: { kind: 'int', min: 1, max: 600 }, default: 15 },
  { section: 'agent', key: 'retry_max_seconds', type: { kind: 'int', min: 1, max: 3600 }, default: 300 },
  { section: 'agent', key: 'disk_temp_max_c', type: { kind: 'int', min: 30, max: 90 }, default: 55 },
  // The simulated appliance's timings, so a test can run a whole disk replacement in seconds.
  { section: 'sim', key: 'rebuild_seconds', type: { kind: 'int', min: 1, max: 86_400 }, default: 2700 },
  { section: 'sim', key: 'rebuild_start_seconds', type: { kind: 'int', min: 0, max: 600 }, default: 5 },
  { section: 'log', key: 'level', type: { kind: 'enum', values: ['error', 'warn', 'info', 'debug', 'trace'] }, default: 'info' },
];

export function envName(s: Pick<Setting, 'section' | 'key'>): string {
  return `QKM_${s.section}_${s.key}`.toUpperCase();
}

export function describeAllowed(t: SettingType): string {
  switch (t.kind) {
    case 'string': return t.describe;
    case 'int': return `a whole number from ${t.min} to ${t.max}`;
    case 'bool': return 'true or false';
    case 'enum': return `one of ${t.values.map((v) => `"${v}"`).join(', ')}`;
  }
}
