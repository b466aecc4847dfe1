import type { BeepsBackend } from '../../drivers/beeps/contract.js';
import type { CdromBackend } from '../../drivers/cdrom/contract.js';
import type { DiskBackend } from '../../drivers/disks/contract.js';
import type { LedBackend } from '../../drivers/leds/contract.js';
import type { RaidBackend } from '../../drivers/raid/contract.js';
import type { UsbBackend } from '../../drivers/usb/contract.js';

/**
 * Each device family by name, with the contract every backend of it implements. The
 * agent sees only this (types, no backend); a new family is one more row here and one
 * registration in families.ts.
 */
export interface FamilyContracts {
  raid: RaidBackend;
  disks: DiskBackend;
  leds: LedBackend;
  cdrom: CdromBackend;
  usb: UsbBackend;
  beeps: BeepsBackend;
}

/** The driver families the agent reads or drives; one that keeps failing makes it blind. */
export type DriverFamily = keyof FamilyContracts;

/** Makes a fresh backend of one family: called at start and again to restart a failing driver. */
export type DriverFactory<F extends DriverFamily> = () => FamilyContracts[F];

/** A factory per family the box has; the agent never closes a driver, whoever made it does. */
export type DriverFactories = { [F in DriverFamily]?: DriverFactory<F> };

/** What a person calls each family's driver, in logs ("the RAID driver") and lines about it. */
export const FAMILY_NAMES: { readonly [F in DriverFamily]: string } = {
  raid: 'RAID',
  disks: 'disk',
  leds: 'LED',
  cdrom: 'CD',
  usb: 'USB',
  beeps: 'POST beep',
};

export const DRIVER_FAMILIES = Object.keys(FAMILY_NAMES) as readonly DriverFamily[];
