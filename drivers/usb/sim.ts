import type { CdMedia } from '../cdrom/contract.js';
import type { SimCdrom } from '../cdrom/sim.js';
import { DriverError } from '../errors.js';
import { byBusPath, type UsbBackend, type UsbDevice } from './contract.js';

/** What a field engineer can plug into the simulated appliance. */
export type SimUsbKind = 'cd-dvd' | 'usb-serial';
export const SIM_USB_KINDS: readonly SimUsbKind[] = ['cd-dvd', 'usb-serial'];

/**
 * The simulated devices are copies of real ones from firmware-fixtures/usb/: the FTDI
 * dual serial cable of ftdi-and-modem/ (its first port) and the CD-ROM of
 * onda-virtual-cdrom/, so the simulator shows nothing a real bus would not.
 */
const MODELS: Record<SimUsbKind, Omit<UsbDevice, 'busPath' | 'node'> & { nodePrefix: string; firstNode: number }> = {
  'usb-serial': {
    vendorId: '0403', productId: '6010', kind: 'usb-serial', manufacturer: 'FTDI', product: 'USB <-> Serial Cable', serial: 'FTWXDZV0',
    interfaces: [{ cls: 0xff, subclass: 0xff, protocol: 0xff }, { cls: 0xff, subclass: 0xff, protocol: 0xff }],
    nodePrefix: '/dev/ttyUSB', firstNode: 0,
  },
  'cd-dvd': {
    // As the sysfs backend names it: no USB strings were recorded, so the SCSI inquiry's words.
    vendorId: '19d2', productId: '2000', kind: 'cd-dvd', manufacturer: 'ONDA', product: 'USB SCSI CD-ROM', serial: null,
    interfaces: [],
    // sr0 is the appliance's own drive.
    nodePrefix: '/dev/sr', firstNode: 1,
  },
};

/** The appliance's USB ports as the kernel names them (bus 1, ports 1 and 2: the front and the back). */
export const SIM_USB_PORTS: readonly string[] = ['1-1', '1-2'];

export interface SimUsbOptions {
  /** A CD/DVD drive of its own for each one plugged in: a simulated drive on the appliance's clock, read at its pace. */
  newCdDrive(): SimCdrom;
}

/** The simulated appliance's USB ports: devices plugged in and out by a person (`qkmcmds sim plug-usb`). */
export class SimUsb implements UsbBackend {
  readonly kind = 'sim';
  private readonly plugged = new Map<string, UsbDevice>();
  private readonly drives = new Map<string, { drive: SimCdrom; unwatch: () => void }>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly o: SimUsbOptions) {}

  async list(): Promise<UsbDevice[]> {
    return [...this.plugged.values()].map((d) => ({ ...d, interfaces: [...d.interfaces] })).sort(byBusPath);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cdDrive(busPath: string): SimCdrom | null {
    return this.drives.get(busPath)?.drive ?? null;
  }

  /**
   * Plugs a device of `kind` into `port` (default: the first free one); returns it as the
   * bus will list it. A CD/DVD drive may come with a disc in it (an ISO file); a disc that
   * cannot be read is refused before anything is plugged in.
   */
  async plug(kind: SimUsbKind, port?: string, disc?: string): Promise<UsbDevice & { disc: CdMedia | null }> {
    if (disc !== undefined && kind !== 'cd-dvd') throw new DriverError('UNSUPPORTED_STATE', 'Only a CD/DVD drive takes a disc.');
    const at = port ?? SIM_USB_PORTS.find((p) => !this.plugged.has(p));
    if (at === undefined) throw new DriverError('BAY_OCCUPIED', `Every USB port (${SIM_USB_PORTS.join(', ')}) is in use; unplug a device first.`);
    if (!SIM_USB_PORTS.includes(at)) throw new DriverError('UNKNOWN_BAY', `There is no USB port ${at}; the appliance's ports are ${SIM_USB_PORTS.join(' and ')}.`, { port: at });
    if (this.plugged.has(at)) throw new DriverError('BAY_OCCUPIED', `USB port ${at} already has a device in it; unplug it first.`, { port: at });
    const { nodePrefix, firstNode, ...model } = MODELS[kind];
    const used = new Set([...this.plugged.values()].map((d) => d.node));
    let n = firstNode;
    while (used.has(`${nodePrefix}${n}`)) n++;
    const device: UsbDevice = { ...model, interfaces: [...model.interfaces], busPath: at, node: `${nodePrefix}${n}` };
    let media: CdMedia | null = null;
    if (kind === 'cd-dvd') {
      const drive = this.o.newCdDrive();
      try {
        if (disc !== undefined) media = await drive.insert(disc);
      } catch (e) {
        drive.close();
        throw e;
      }
      // The drive's reads light the CD activity LED: the bus says when one starts or ends.
      this.drives.set(at, { drive, unwatch: drive.onChange(() => this.emit()) });
    }
    this.plugged.set(at, device);
    this.emit();
    return { ...device, disc: media };
  }

  /** Pulls the device out of `port`; returns what was there. */
  unplug(port: string): UsbDevice {
    const d = this.plugged.get(port);
    if (!d) throw new DriverError('BAY_EMPTY', `Nothing is plugged into USB port ${port}.`, { port });
    this.plugged.delete(port);
    this.pullDrive(port);
    this.emit();
    return d;
  }

  close(): void {
    for (const port of [...this.drives.keys()]) this.pullDrive(port);
    this.listeners.clear();
  }

  /** A drive pulled out ends its reads at once, as the real one's would fail. */
  private pullDrive(port: string): void {
    const d = this.drives.get(port);
    if (!d) return;
    this.drives.delete(port);
    d.unwatch();
    d.drive.close();
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}
