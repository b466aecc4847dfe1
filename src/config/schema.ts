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
const diskPattern = /^\/dev\/(sd[a-z]{1,3}|vd[a-z]{1,3}|hd[a-z]|nvme\d{1,3}n\d{1,3}|mmcblk\d{1,3})$/;
const diskWords = 'a whole-disk kernel device such as /dev/sda or /dev/nvme0n1';
// No "/" and no leading dot: a name from a config file must not walk out of /sys/class/leds.
const ledPattern = /^([A-Za-z0-9:_+-][A-Za-z0-9:_.+-]{0,99})?$/;
const ledWords = 'empty, or an LED name under /sys/class/leds such as "qkm:green:power"';

export const SETTINGS: readonly Setting[] = [
  { section: 'paths', key: 'data_dir', type: { kind: 'string', pattern: /^.{1,4096}$/, describe: 'a directory path' }, default: './var' },
  // Empty serial: the hardware profile supplies one (the simulator mints one on first start).
  { section: 'server', key: 'serial', type: { kind: 'string', pattern: /^([A-Z0-9]{4,20})?$/, describe: 'empty, or 4 to 20 upper-case letters and digits' }, default: '' },
  { section: 'server', key: 'hostname', type: { kind: 'string', pattern: /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/, describe: 'a host name of 1 to 63 letters, digits and inner hyphens' }, default: 'qkmserver' },
  { section: 'kmip', key: 'host', type: { kind: 'string', pattern: hostPattern, describe: 'an IP address or host name' }, default: '127.0.0.1' },
  // 0 asks the system for any free port (tests); the appliance always uses 6000.
  { section: 'kmip', key: 'port', type: { kind: 'int', min: 0, max: 65535 }, default: 6000 },
  // Connections the key server holds at once; those not yet authenticated have a smaller
  // share (below), so that libraries with a valid certificate always find room.
  { section: 'kmip', key: 'max_connections', type: { kind: 'int', min: 2, max: 65_536 }, default: 2048 },
  { section: 'kmip', key: 'max_unauthenticated', type: { kind: 'int', min: 1, max: 65_535 }, default: 256 },
  { section: 'kmip', key: 'max_unauthenticated_per_address', type: { kind: 'int', min: 1, max: 65_535 }, default: 32 },
  { section: 'keys', key: 'i500', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 1024 },
  { section: 'keys', key: 'i2000', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 4096 },
  { section: 'keys', key: 'depletion_percent', type: { kind: 'int', min: 1, max: 99 }, default: 80 },
  { section: 'keys', key: 'require_backup', type: { kind: 'bool' }, default: true },
  { section: 'pair', key: 'role', type: { kind: 'enum', values: ['standalone', 'primary', 'secondary'] }, default: 'standalone' },
  { section: 'pair', key: 'peer', type: { kind: 'string', pattern: /^([A-Za-z0-9.:_[\]-]{1,253})?$/, describe: 'empty, or host:port of the other server' }, default: '' },
  { section: 'hardware', key: 'profile', type: { kind: 'enum', values: ['sim', 'appliance'] }, default: 'sim' },
  // The appliance profile's drivers. Files (/proc/mdstat, /sys/class/leds) are read under
  // `root`, so a test or a bench points them at a copy of a machine's tree.
  { section: 'hardware', key: 'root', type: { kind: 'string', pattern: /^\/.{0,4095}$/, describe: 'an absolute directory path' }, default: '/' },
  // Off by default: nothing runs mdadm, smartctl or ledctl unless a config says this box is the appliance.
  { section: 'hardware', key: 'run_commands', type: { kind: 'bool' }, default: false },
  { section: 'hardware', key: 'raid', type: { kind: 'enum', values: ['md', 'storcli'] }, default: 'md' },
  // Kernel names only: /proc/mdstat names members by kernel name, which is how a member finds its bay.
  { section: 'hardware', key: 'md_array', type: { kind: 'string', pattern: /^\/dev\/md\d{1,3}$/, describe: 'an md device such as /dev/md0' }, default: '/dev/md0' },
  { section: 'hardware', key: 'md_partition', type: { kind: 'int', min: 1, max: 128 }, default: 1 },
  { section: 'hardware', key: 'bay0_disk', type: { kind: 'string', pattern: diskPattern, describe: diskWords }, default: '/dev/sda' },
  { section: 'hardware', key: 'bay1_disk', type: { kind: 'string', pattern: diskPattern, describe: diskWords }, default: '/dev/sdb' },
  // Writing to a disk is never a default: a person switches this on for the appliance's own bays.
  { section: 'hardware', key: 'readd_blank_disks', type: { kind: 'bool' }, default: false },
  // An allow-list rather than a path: this names a binary qkmd runs as root.
  { section: 'hardware', key: 'storcli_command', type: { kind: 'enum', values: ['storcli', 'storcli64', 'perccli', 'perccli64'] }, default: 'storcli64' },
  { section: 'hardware', key: 'storcli_controller', type: { kind: 'int', min: 0, max: 15 }, default: 0 },
  { section: 'hardware', key: 'storcli_slots', type: { kind: 'string', pattern: /^(\d{1,3}:\d{1,3},\d{1,3}:\d{1,3})?$/, describe: 'empty, or the enclosure:slot of bay 0 and of bay 1, such as "252:0,252:1"' }, default: '' },
  // Front-panel LEDs of the appliance profile: Linux LED class names (/sys/class/leds/<name>);
  // empty means the box has no such LED for qkm to drive. Bay status LEDs may be "ledctl".
  ...(['power', 'hdd_activity', 'server_error', 'cd_activity', 'bay0_activity', 'bay1_activity'] as const).map((key) => ({
    section: 'leds', key, type: { kind: 'string' as const, pattern: ledPattern, describe: ledWords }, default: '',
  })),
  ...(['bay0_status', 'bay1_status'] as const).map((key) => ({
    section: 'leds', key, type: { kind: 'string' as const, pattern: ledPattern, describe: `"ledctl", or ${ledWords}` }, default: 'ledctl',
  })),
  // The hardware agent: how often it reads the drivers, how long one driver call may take.
  { section: 'agent', key: 'poll_seconds', type: { kind: 'int', min: 1, max: 3600 }, default: 10 },
  { section: 'agent', key: 'raid_events', type: { kind: 'bool' }, default: true },
  { section: 'agent', key: 'driver_timeout_seconds', type: { kind: 'int', min: 1, max: 600 }, default: 15 },
  { section: 'agent', key: 'retry_max_seconds', type: { kind: 'int', min: 1, max: 3600 }, default: 300 },
  { section: 'agent', key: 'disk_temp_max_c', type: { kind: 'int', min: 30, max: 90 }, default: 55 },
  // The simulated appliance's timings, so a test can run a whole disk replacement in seconds.
  { section: 'sim', key: 'rebuild_seconds', type: { kind: 'int', min: 1, max: 86_400 }, default: 2700 },
  { section: 'sim', key: 'rebuild_start_seconds', type: { kind: 'int', min: 0, max: 600 }, default: 5 },
  // KiB/s, a whole number because settings have no fractions: 24 × 150 KiB/s ≈ 3.6 MB/s, a 24x drive.
  { section: 'sim', key: 'cd_read_kibps', type: { kind: 'int', min: 1, max: 10_000_000 }, default: 3600 },
  { section: 'log', key: 'level', type: { kind: 'enum', values: ['error', 'warn', 'info', 'debug', 'trace'] }, default: 'info' },
  // Each program's log (qkmd.log, qkmcmds.log) rotates at max_file_kib; its files together stay
  // within max_total_kib, the oldest removed first. KiB so that a test can rotate in seconds.
  { section: 'log', key: 'max_file_kib', type: { kind: 'int', min: 16, max: 1_048_576 }, default: 10_240 },
  { section: 'log', key: 'max_total_kib', type: { kind: 'int', min: 32, max: 16_777_216 }, default: 51_200 },
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
