/**
 * Every setting qkm knows, in one typed table: the parser reads its rules and `QkmConfig`
 * is inferred from it, so there is exactly one list to keep. The section/key names are an
 * interface that operators' scripts use; never rename one. Each row also yields its
 * environment variable (QKM_<SECTION>_<KEY>).
 */
export type SettingType =
  | { kind: 'string'; pattern?: RegExp; describe: string }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] };

/** One key's rule and default; `unavailable` marks a setting nothing implements yet. */
type Rule<T> = SettingType & {
  default: T;
  /** Why a value other than the default is refused, said after "but": what is missing and what to do. */
  unavailable?: string;
};

const text = (pattern: RegExp, describe: string, dflt: string, unavailable?: string) =>
  ({ kind: 'string', pattern, describe, default: dflt, ...(unavailable !== undefined && { unavailable }) }) satisfies Rule<string>;
const int = (min: number, max: number, dflt: number) => ({ kind: 'int', min, max, default: dflt }) satisfies Rule<number>;
const bool = (dflt: boolean) => ({ kind: 'bool', default: dflt }) satisfies Rule<boolean>;
const oneOf = <const V extends string>(values: readonly V[], dflt: NoInfer<V>, unavailable?: string) =>
  ({ kind: 'enum', values, default: dflt, ...(unavailable !== undefined && { unavailable }) }) satisfies Rule<V>;

const hostPattern = /^[A-Za-z0-9.:_-]{1,253}$/;
const diskPattern = /^\/dev\/(sd[a-z]{1,3}|vd[a-z]{1,3}|hd[a-z]|nvme\d{1,3}n\d{1,3}|mmcblk\d{1,3})$/;
const diskWords = 'a whole-disk kernel device such as /dev/sda or /dev/nvme0n1';
// No "/" and no leading dot: a name from a config file must not walk out of /sys/class/leds.
const ledPattern = /^([A-Za-z0-9:_+-][A-Za-z0-9:_.+-]{0,99})?$/;
const ledWords = 'empty, or an LED name under /sys/class/leds such as "qkm:green:power"';
const led = (dflt = '') => text(ledPattern, dflt === 'ledctl' ? `"ledctl", or ${ledWords}` : ledWords, dflt);
const peerAddress = String.raw`[A-Za-z0-9._[\]-]{1,253}:\d{1,5}`;

export const SCHEMA = {
  paths: { data_dir: text(/^.{1,4096}$/, 'a directory path', './var') },
  server: {
    // Empty serial: the hardware profile supplies one (the simulator mints one on first start).
    serial: text(/^([A-Z0-9]{4,20})?$/, 'empty, or 4 to 20 upper-case letters and digits', ''),
    hostname: text(/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/, 'a host name of 1 to 63 letters, digits and inner hyphens', 'qkmserver'),
  },
  kmip: {
    host: text(hostPattern, 'an IP address or host name', '127.0.0.1'),
    // 0 asks the system for any free port (tests); the appliance always uses 6000.
    port: int(0, 65535, 6000),
    // Connections the key server holds at once; those not yet authenticated have a smaller
    // share (below), so that libraries with a valid certificate always find room.
    max_connections: int(2, 65_536, 2048),
    max_unauthenticated: int(1, 65_535, 256),
    max_unauthenticated_per_address: int(1, 65_535, 32),
  },
  keys: {
    i500: int(1, 1_000_000, 1024),
    i2000: int(1, 1_000_000, 4096),
    depletion_percent: int(1, 99, 80),
    require_backup: bool(true),
  },
  // The server pair (src/pair). A primary or secondary opens the pair link on host:port
  // (mutual TLS with pinned pair certificates); peer lists the other servers' pair links.
  // Several peers are configuration: tape libraries fail over between up to ten servers.
  pair: {
    role: oneOf(['standalone', 'primary', 'secondary'], 'standalone'),
    peer: text(new RegExp(`^(${peerAddress}(, ?${peerAddress}){0,8})?$`), 'empty, or host:port of the other server\'s pair link (up to nine, separated by commas)', ''),
    host: text(hostPattern, 'an IP address or host name', '127.0.0.1'),
    // 0 asks the system for any free port (tests).
    port: int(0, 65535, 6100),
    // How long generation waits for every peer to store its copy of a new set before it
    // takes the set back (a set is usable only once both servers hold it).
    generation_timeout_seconds: int(1, 3600, 30),
  },
  hardware: {
    profile: oneOf(['sim', 'appliance'], 'sim'),
    // The appliance profile's drivers. Files (/proc/mdstat, /sys/class/leds) are read under
    // `root`, so a test or a bench points them at a copy of a machine's tree.
    root: text(/^\/.{0,4095}$/, 'an absolute directory path', '/'),
    // Off by default: nothing runs mdadm, smartctl or ledctl unless a config says this box is the appliance.
    run_commands: bool(false),
    raid: oneOf(['md', 'storcli'], 'md'),
    // Kernel names only: /proc/mdstat names members by kernel name, which is how a member finds its bay.
    md_array: text(/^\/dev\/md\d{1,3}$/, 'an md device such as /dev/md0', '/dev/md0'),
    md_partition: int(1, 128, 1),
    bay0_disk: text(diskPattern, diskWords, '/dev/sda'),
    bay1_disk: text(diskPattern, diskWords, '/dev/sdb'),
    // Writing to a disk is never a default: a person switches this on for the appliance's own bays.
    readd_blank_disks: bool(false),
    // An allow-list rather than a path: this names a binary qkmd runs as root.
    storcli_command: oneOf(['storcli', 'storcli64', 'perccli', 'perccli64'], 'storcli64'),
    storcli_controller: int(0, 15, 0),
    // What lists the USB devices (a CD/DVD drive for updates, a serial adapter for the console):
    // sysfs (/sys/bus/usb/devices under root, polled; no native addon), node-usb (libusb, hears
    // plugging at once), none.
    usb: oneOf(['sysfs', 'node-usb', 'none'], 'sysfs'),
    storcli_slots: text(/^(\d{1,3}:\d{1,3},\d{1,3}:\d{1,3})?$/, 'empty, or the enclosure:slot of bay 0 and of bay 1, such as "252:0,252:1"', ''),
    // The optical drive update CDs are read from: a real drive, an .iso file standing for the disc, or none.
    cdrom: oneOf(['none', 'linux', 'image'], 'none'),
    cdrom_device: text(/^\/dev\/(sr|scd)\d{1,2}$/, 'a CD drive\'s block device such as /dev/sr0', '/dev/sr0'),
    cdrom_image: text(/^(\/.{0,4095})?$/, 'empty, or the absolute path of an .iso file', ''),
    // Moving the tray (eject) changes the machine: a person switches it on for the appliance's own drive.
    cdrom_eject: bool(false),
  },
  // Front-panel LEDs of the appliance profile: Linux LED class names (/sys/class/leds/<name>);
  // empty means the box has no such LED for qkm to drive. Bay status LEDs may be "ledctl".
  leds: {
    power: led(),
    hdd_activity: led(),
    server_error: led(),
    cd_activity: led(),
    bay0_activity: led(),
    bay1_activity: led(),
    bay0_status: led('ledctl'),
    bay1_status: led('ledctl'),
  },
  // The front-panel board on a serial line: empty port, no board (the [leds] devices drive the panel).
  // The administrator's console on a serial line: empty port, no serial console.
  serial: {
    panel_port: text(/^(\/[^\0]{0,4095})?$/, 'empty, or the absolute path of a serial device such as /dev/ttyS1', ''),
    panel_baud: int(1200, 4_000_000, 115200),
    console_port: text(/^(\/[^\0]{0,4095})?$/, 'empty, or the absolute path of a serial device such as /dev/ttyS0', ''),
    console_baud: int(1200, 4_000_000, 9600),
  },
  // The hardware agent: how often it reads the drivers, how long one driver call may take.
  agent: {
    poll_seconds: int(1, 3600, 10),
    raid_events: bool(true),
    driver_timeout_seconds: int(1, 600, 15),
    retry_max_seconds: int(1, 3600, 300),
    disk_temp_max_c: int(30, 90, 55),
  },
  // The simulated appliance's timings, so a test can run a whole disk replacement in seconds.
  sim: {
    rebuild_seconds: int(1, 86_400, 2700),
    rebuild_start_seconds: int(0, 600, 5),
    // KiB/s, a whole number because settings have no fractions: 24 × 150 KiB/s ≈ 3.6 MB/s, a 24x drive.
    cd_read_kibps: int(1, 10_000_000, 3600),
  },
  // The status page (src/web): HTTPS with its own certificate from the appliance CA.
  web: {
    enabled: bool(true),
    host: text(hostPattern, 'an IP address or host name', '127.0.0.1'),
    // 0 asks the system for any free port (tests, and a second qkmd on one machine).
    port: int(0, 65535, 8443),
  },
  update: {
    // The vendor's Ed25519 key that signs update bundles; empty trusts none (no update installs).
    public_key: text(/^([0-9a-f]{64})?$/, "empty, or the update signing key's Ed25519 public key as 64 lower-case hex digits", ''),
    // How long a newly installed version has to say it is running before the launcher rolls it back.
    trial_seconds: int(5, 3600, 120),
  },
  log: {
    level: oneOf(['error', 'warn', 'info', 'debug', 'trace'], 'info'),
    // Each program's log (qkmd.log, qkmcmds.log) rotates at max_file_kib; its files together stay
    // within max_total_kib, the oldest removed first. KiB so that a test can rotate in seconds.
    max_file_kib: int(16, 1_048_576, 10_240),
    max_total_kib: int(32, 16_777_216, 51_200),
  },
} as const satisfies Record<string, Record<string, Rule<string | number | boolean>>>;

type Schema = typeof SCHEMA;
/** The value a rule admits: its enum's words, or the type of its default. */
type ValueOf<R> = R extends { kind: 'enum'; values: readonly (infer V)[] } ? V : R extends { default: infer D } ? (D extends string ? string : D extends number ? number : boolean) : never;
/** Every setting's value, by section and key, as the parser returns them. */
export type Settings = { -readonly [S in keyof Schema]: { -readonly [K in keyof Schema[S]]: ValueOf<Schema[S][K]> } };

export interface Setting {
  section: string;
  key: string;
  type: SettingType;
  default: string | number | boolean;
  unavailable?: string;
}

/** The table as rows, in the order written: what the parser, the environment and the docs walk. */
export const SETTINGS: readonly Setting[] = Object.entries(SCHEMA).flatMap(([section, keys]) =>
  Object.entries(keys as Record<string, Rule<string | number | boolean>>).map(([key, rule]) => ({ section, key, type: rule, default: rule.default, ...(rule.unavailable !== undefined && { unavailable: rule.unavailable }) })),
);

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
