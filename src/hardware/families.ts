import { SystemClock } from '../../drivers/clock.js';
import type { FileRoot } from '../../drivers/file-root.js';
import type { LedBackend } from '../../drivers/leds/contract.js';
import type { PanelBoardLine } from '../../drivers/serial/panel-line.js';
import type { CommandRunner } from '../../drivers/runner.js';
import { readVolumeLabel } from '../update/iso9660/index.js';
import type { ApplianceSettings } from './appliance-settings.js';
import type { DriverFactory, DriverFamily, FamilyContracts } from './contracts.js';
import type { SimAppliance } from './sim-appliance.js';

/** What every backend of the appliance profile is built from. */
export interface BackendContext {
  settings: ApplianceSettings;
  /** The one runner every command goes through (enabled and limited by the configuration). */
  runner: CommandRunner;
  root: FileRoot;
  /** Tool time-out, just under the agent's own, so a hung tool is killed, not only abandoned. */
  timeoutMs: number;
  /**
   * The serial line to the front-panel board ([serial] panel_port), one for the LEDs, the
   * speaker and the buttons; serialport's native binding is loaded at its first call.
   */
  panelBoard(): Promise<PanelBoardLine>;
}

/**
 * Imports a backend's module and returns its factory. The import happens only here, when
 * the configuration selects the backend, so a native addon (serialport's binding,
 * node-usb) is loaded only on a box configured to use it; a failed import makes that
 * driver unavailable, not qkmd.
 */
export type BackendLoader<F extends DriverFamily> = (ctx: BackendContext) => Promise<DriverFactory<F>>;

/** One device family: its backends by name, the one this configuration selects, and its simulator. */
export interface FamilyRegistration<F extends DriverFamily> {
  backends: Readonly<Record<string, BackendLoader<F>>>;
  /** The backend the appliance profile's settings select; null when this box has no such device. */
  select(s: ApplianceSettings): string | null;
  /** The simulated appliance's device of this family; null when the simulator has none. */
  sim(sim: SimAppliance): FamilyContracts[F] | null;
  /**
   * A family the box works without (what is plugged into a port): when its backend
   * cannot load, the agent says so once and carries on, rather than report itself blind.
   */
  optional?: true;
}

export type FamilyRegistry = { readonly [F in DriverFamily]: FamilyRegistration<F> };

/** Every device family qkm drives. A new family is one entry here, its contract in contracts.ts, and its rules in src/agent. */
export const FAMILIES: FamilyRegistry = {
  raid: {
    backends: {
      md: async ({ settings: s, root, runner, timeoutMs }) => {
        const { MdRaid } = await import('../../drivers/raid/md.js');
        return () => new MdRaid({ root, bays: s.bays, array: s.mdName, runner, timeoutMs });
      },
      storcli: async ({ settings: s, runner, timeoutMs }) => {
        const { StorcliRaid } = await import('../../drivers/raid/storcli.js');
        return () => new StorcliRaid({ runner, command: s.storcli.command, controller: s.storcli.controller, slotBays: s.storcli.slotBays, timeoutMs });
      },
    },
    select: (s) => s.raid,
    sim: (sim) => sim.raid,
  },
  disks: {
    backends: {
      smartctl: async ({ settings: s, runner, timeoutMs }) => {
        const { SmartctlDisks } = await import('../../drivers/disks/smartctl.js');
        return () => new SmartctlDisks({ runner, bays: s.bays, timeoutMs });
      },
    },
    select: () => 'smartctl',
    sim: (sim) => sim.disks,
  },
  leds: {
    backends: {
      // The panel's LEDs come from several backends at once (LED class in sysfs, ledctl), joined by a router.
      panel: async ({ settings: s, root, runner, timeoutMs }) => {
        const { LedRouter } = await import('../../drivers/leds/router.js');
        const sysfs = Object.keys(s.sysfsLeds).length > 0 ? (await import('../../drivers/leds/sysfs.js')).SysfsLeds : null;
        const ledctl = Object.keys(s.ledctlLeds).length > 0 ? (await import('../../drivers/leds/ledctl.js')).LedctlLeds : null;
        return () => {
          const parts: LedBackend[] = [];
          if (sysfs) parts.push(new sysfs({ root, names: s.sysfsLeds }));
          if (ledctl) parts.push(new ledctl({ runner, devices: s.ledctlLeds, timeoutMs }));
          return new LedRouter(
            Object.fromEntries(parts.flatMap((b) => b.leds().map((led) => [led, b.kind]))),
            Object.fromEntries(parts.map((b) => [b.kind, b])),
          );
        };
      },
      // The whole panel on one microcontroller board over a serial line.
      'serial-board': async ({ panelBoard }) => {
        const { SerialBoardLeds } = await import('../../drivers/serial/leds.js');
        const line = await panelBoard();
        // A restart opens the port afresh, so the failing session's port is closed first.
        return () => new SerialBoardLeds(line.fresh());
      },
    },
    select: (s) => (s.panelBoard ? 'serial-board' : 'panel'),
    sim: (sim) => sim.leds,
  },
  cdrom: {
    backends: {
      linux: async ({ settings: s, root, runner, timeoutMs }) => {
        const { LinuxCdrom } = await import('../../drivers/cdrom/linux.js');
        return () => new LinuxCdrom({ root, runner, device: s.cdrom.device, readLabel: readVolumeLabel, timeoutMs, moveTray: s.cdrom.moveTray });
      },
      image: async ({ settings: s, root }) => {
        const { ImageCdrom } = await import('../../drivers/cdrom/image.js');
        return () => new ImageCdrom({ root, image: s.cdrom.image, readLabel: readVolumeLabel });
      },
    },
    select: (s) => (s.cdrom.backend === 'none' ? null : s.cdrom.backend),
    sim: (sim) => sim.cdrom,
  },
  usb: {
    backends: {
      'node-usb': async () => {
        const { NodeUsb } = await import('../../drivers/usb/node-usb.js');
        // Opened once here, so a machine where libusb sees no bus is told at start, in one line.
        const usb = await NodeUsb.open();
        return () => usb;
      },
      sysfs: async ({ root, runner, timeoutMs }) => {
        const { SysfsUsb } = await import('../../drivers/usb/sysfs.js');
        const { LinuxCdrom } = await import('../../drivers/cdrom/linux.js');
        // The tray of a drive on a cable is the person's: qkm never moves it.
        const cdDrive = (device: string) => new LinuxCdrom({ root, runner, device, readLabel: readVolumeLabel, timeoutMs, moveTray: false });
        return () => new SysfsUsb({ root, cdDrive });
      },
    },
    select: (s) => (s.usb === 'none' ? null : s.usb),
    sim: (sim) => sim.usb,
    optional: true,
  },
  beeps: {
    backends: {
      // The box hears its speaker through the serial front-panel board, which reports the speaker's edges.
      'serial-board': async ({ panelBoard }) => {
        const { BoardBeeps } = await import('../../drivers/serial/board-beeps.js');
        const beeps = new BoardBeeps(await panelBoard(), new SystemClock());
        // One for the life of qkmd: the edges of a boot are gathered across a restart of the agent's driver.
        return () => beeps;
      },
    },
    select: (s) => (s.panelBoard ? 'serial-board' : null),
    sim: (sim) => sim.beeps,
  },
};
