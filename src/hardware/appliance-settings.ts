import type { LedId } from '../../drivers/leds/contract.js';
import type { QkmConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';

/** The appliance profile's hardware, as the drivers want it. */
export interface ApplianceSettings {
  root: string;
  runCommands: boolean;
  raid: 'md' | 'storcli';
  /** "/dev/md0" (for mdadm) and "md0" (as /proc/mdstat names it). */
  mdDevice: string;
  mdName: string;
  mdPartition: number;
  /** Bay -> whole-disk device. */
  bays: Record<number, string>;
  readdBlankDisks: boolean;
  storcli: { command: string; controller: number; slotBays: Record<string, number> };
  /** LED -> LED class name, for the LEDs that are sysfs devices. */
  sysfsLeds: Partial<Record<LedId, string>>;
  /** Bay status LED -> disk, for the LEDs lit through ledctl. */
  ledctlLeds: Partial<Record<LedId, string>>;
  /** The USB backend, or none. */
  usb: QkmConfig['hardware']['usb'];
  /** The front-panel board's serial line, when the panel is a board ([serial] panel_port). */
  panelBoard: { path: string; baudRate: number } | null;
  cdrom: { backend: 'none' | 'linux' | 'image'; device: string; image: string; moveTray: boolean };
}

const LED_KEYS: readonly [keyof QkmConfig['leds'], LedId][] = [
  ['power', 'power'],
  ['hdd_activity', 'hddActivity'],
  ['server_error', 'serverError'],
  ['cd_activity', 'cdActivity'],
  ['bay0_activity', 'bay0.activity'],
  ['bay1_activity', 'bay1.activity'],
  ['bay0_status', 'bay0.status'],
  ['bay1_status', 'bay1.status'],
];

/** Every tool the appliance profile may run; ExecFileRunner refuses anything else. */
export function applianceTools(s: ApplianceSettings): string[] {
  const tools = ['smartctl', 'ledctl'];
  if (s.raid === 'md') tools.push('mdadm');
  else tools.push(s.storcli.command);
  if (s.raid === 'md' && s.readdBlankDisks) tools.push('wipefs', 'blkid', 'sfdisk');
  // A USB CD/DVD drive found through sysfs is read as the Linux drive is, whatever the built-in one is.
  if (s.cdrom.backend === 'linux' || s.usb === 'sysfs') tools.push('udevadm');
  if (s.cdrom.backend === 'linux' && s.cdrom.moveTray) tools.push('eject');
  return tools;
}

/**
 * Reads [hardware] and [leds] for the appliance profile. The loader has checked each
 * key alone; what is checked here is how keys fit together, which no single row can say.
 */
export function applianceSettings(config: QkmConfig): ApplianceSettings {
  const h = config.hardware;
  const where = config.sources.join(', ');
  const refuse = (sentence: string) => new ConfigError('CONFIG_BAD_VALUE', `${sentence} (config from ${where}).`, { params: { where } });

  if (h.bay0_disk === h.bay1_disk) {
    throw refuse(`hardware.bay0_disk and hardware.bay1_disk are both ${h.bay0_disk}, but each bay needs its own disk; set one of them to the other bay's disk`);
  }
  const slotBays: Record<string, number> = {};
  if (h.storcli_slots) h.storcli_slots.split(',').forEach((slot, bay) => {
    slotBays[slot] = bay;
  });
  if (h.raid === 'storcli' && h.storcli_slots && Object.keys(slotBays).length !== 2) {
    throw refuse(`hardware.storcli_slots names the slot ${h.storcli_slots.split(',')[0]} for both bays; give each bay its own enclosure:slot`);
  }

  const serial = config.serial;
  if (serial.console_port !== '' && serial.console_port === serial.panel_port) {
    throw refuse(`serial.console_port and serial.panel_port are both ${serial.panel_port}, but the front-panel board and a terminal cannot share one line; give each its own port`);
  }

  if (h.cdrom === 'image' && h.cdrom_image === '') {
    throw refuse('hardware.cdrom is "image", but hardware.cdrom_image is empty; give the path of the .iso file that stands for the disc');
  }

  const sysfsLeds: Partial<Record<LedId, string>> = {};
  const ledctlLeds: Partial<Record<LedId, string>> = {};
  const usedBy = new Map<string, string>();
  for (const [key, led] of LED_KEYS) {
    const name = config.leds[key];
    if (!name) continue;
    if (name === 'ledctl') {
      if (!led.endsWith('.status')) throw refuse(`leds.${key} is "ledctl", but ledctl drives only the bays' status LEDs; give the LED class name instead`);
      ledctlLeds[led] = led.startsWith('bay0') ? h.bay0_disk : h.bay1_disk;
      continue;
    }
    const other = usedBy.get(name);
    if (other) throw refuse(`leds.${other} and leds.${key} both name the LED "${name}"; each front-panel LED needs its own device`);
    usedBy.set(name, key);
    sysfsLeds[led] = name;
  }

  return {
    root: h.root,
    runCommands: h.run_commands,
    raid: h.raid,
    mdDevice: h.md_array,
    mdName: h.md_array.replace(/^\/dev\//, ''),
    mdPartition: h.md_partition,
    bays: { 0: h.bay0_disk, 1: h.bay1_disk },
    readdBlankDisks: h.readd_blank_disks,
    storcli: { command: h.storcli_command, controller: h.storcli_controller, slotBays },
    sysfsLeds,
    ledctlLeds,
    usb: h.usb,
    panelBoard: config.serial.panel_port ? { path: config.serial.panel_port, baudRate: config.serial.panel_baud } : null,
    cdrom: { backend: h.cdrom, device: h.cdrom_device, image: h.cdrom_image, moveTray: h.cdrom_eject },
  };
}
