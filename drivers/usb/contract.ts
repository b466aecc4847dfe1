/**
 * The usb family: what is plugged into the appliance's USB ports. Two kinds matter to
 * qkm: a CD/DVD drive (mass storage whose SCSI device is a CD-ROM, `/dev/srN`), which
 * the update system reads like the built-in drive, and a USB-serial adapter (FTDI,
 * Prolific, CDC ACM..., `/dev/ttyUSBN` or `/dev/ttyACMN`), on which an administrator's
 * terminal gets the console. Anything else is listed and left alone. Hubs (the root hubs
 * and any hub between) are not devices anyone plugged in, and are not listed.
 * Backends: node-usb (libusb, hot-plug events), sysfs (/sys/bus/usb/devices under the
 * injected file root, polled), and the simulator.
 */
import type { CdromBackend } from '../cdrom/contract.js';

/** What a device is to qkm. */
export type UsbDeviceKind = 'cd-dvd' | 'usb-serial' | 'mass-storage' | 'other';

/** One interface's class triple, as the descriptors give it. */
export interface UsbInterfaceClass {
  cls: number;
  subclass: number;
  protocol: number;
}

export interface UsbDevice {
  /** Where it is plugged: the kernel's bus-port path (`3-2`, `1-1.4`), the same in sysfs and node-usb. */
  busPath: string;
  /** Four lower-case hex digits each. */
  vendorId: string;
  productId: string;
  kind: UsbDeviceKind;
  manufacturer: string | null;
  product: string | null;
  serial: string | null;
  /** The device node qkm would use (`/dev/sr1`, `/dev/ttyUSB0`) where the backend can tell; null otherwise. */
  node: string | null;
  interfaces: UsbInterfaceClass[];
}

export interface UsbBackend {
  readonly kind: string;
  /** The devices plugged in now (hubs left out), in bus-path order. */
  list(): Promise<UsbDevice[]>;
  /**
   * The CD/DVD drive plugged in at `busPath` as a CD drive the update system reads, as of
   * the last listing; null when no such drive is there or the backend cannot reach it (one
   * that names no device node). The same drive is returned while it stays plugged in.
   */
  cdDrive?(busPath: string): CdromBackend | null;
  /** Called when a device is plugged in or pulled out, for backends that hear it; polling backends never call it. */
  onChange(listener: () => void): () => void;
  close?(): void;
}

/** USB class codes (usb.org "Defined Class Codes"). */
const CLASS = { cdc: 0x02, massStorage: 0x08, hub: 0x09, cdcData: 0x0a, vendor: 0xff } as const;
/** Mass-storage subclass 0x02: the MMC-5 (ATAPI) command set, which CD/DVD drives speak. */
const MMC5 = 0x02;
/** CDC subclass 0x02: the Abstract Control Model, a modem-like serial line (ttyACM). */
const ACM = 0x02;

/**
 * USB-to-serial bridges whose interface is vendor-specific (class 0xff), so the class
 * alone does not tell: FTDI, Prolific PL2303, Silicon Labs CP210x, WCH CH34x.
 */
const SERIAL_BRIDGE_VENDORS = new Set(['0403', '067b', '10c4', '1a86']);

export const isHub = (deviceClass: number, interfaces: readonly UsbInterfaceClass[]): boolean =>
  deviceClass === CLASS.hub || (interfaces.length > 0 && interfaces.every((i) => i.cls === CLASS.hub));

/**
 * What a device is, from what its backend knows. The node a kernel driver made is the
 * strongest evidence (an sr node is a CD-ROM whatever the descriptors say, as with a
 * modem's built-in driver CD); without one, the descriptors decide.
 */
export function classify(vendorId: string, interfaces: readonly UsbInterfaceClass[], node: string | null = null): UsbDeviceKind {
  if (node !== null && /^\/dev\/sr\d+$/.test(node)) return 'cd-dvd';
  if (node !== null && /^\/dev\/tty(USB|ACM)\d+$/.test(node)) return 'usb-serial';
  if (interfaces.some((i) => i.cls === CLASS.massStorage && i.subclass === MMC5)) return 'cd-dvd';
  if (interfaces.some((i) => i.cls === CLASS.cdc && i.subclass === ACM)) return 'usb-serial';
  if (SERIAL_BRIDGE_VENDORS.has(vendorId) && interfaces.some((i) => i.cls === CLASS.vendor)) return 'usb-serial';
  if (interfaces.some((i) => i.cls === CLASS.massStorage)) return 'mass-storage';
  return 'other';
}

/** Bus paths in the order a person reads them: by bus, then port by port (`1-1.10` after `1-1.9`). */
export function byBusPath(a: UsbDevice, b: UsbDevice): number {
  const parts = (p: string) => p.split(/[-.]/).map(Number);
  const x = parts(a.busPath);
  const y = parts(b.busPath);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

export const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** What the device is for on the appliance: a CD/DVD drive is an update source, a serial adapter a console line. */
export function usbRole(d: UsbDevice): 'update-source' | 'console' | null {
  return d.kind === 'cd-dvd' ? 'update-source' : d.kind === 'usb-serial' ? 'console' : null;
}

const KIND_WORDS: Record<UsbDeviceKind, string> = {
  'cd-dvd': 'CD/DVD drive',
  'usb-serial': 'USB-serial adapter',
  'mass-storage': 'USB storage device',
  other: 'USB device',
};

/** One line a person reads: `CD/DVD drive ONDA USB SCSI CD-ROM (19d2:2000) at port 1-1, /dev/sr1: an update source`. */
export function describeUsbDevice(d: UsbDevice): string {
  const name = [d.manufacturer, d.product].filter((w) => w !== null).join(' ');
  const role = usbRole(d);
  const use = role === 'update-source' ? ': an update source' : role === 'console' ? ': a console line' : '';
  return `${KIND_WORDS[d.kind]}${name ? ` ${name}` : ''} (${d.vendorId}:${d.productId}) at port ${d.busPath}${d.node ? `, ${d.node}` : ''}${use}`;
}
