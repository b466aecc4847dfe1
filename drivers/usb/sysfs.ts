import { promises as fs } from 'node:fs';
import type { CdromBackend } from '../cdrom/contract.js';
import { DriverError } from '../errors.js';
import type { FileRoot } from '../file-root.js';
import { byBusPath, classify, isHub, type UsbBackend, type UsbDevice, type UsbInterfaceClass } from './contract.js';

const DEVICES = '/sys/bus/usb/devices';
/** `3-2`, `1-1.4`: a device; `3-2:1.0` is one of its interfaces; `usb1` a root hub. */
const DEVICE_NAME = /^\d+-\d+(\.\d+)*$/;
/** How deep below an interface a block node sits: hostN/targetN:0:0/N:0:0:0/block/srN. */
const BLOCK_DEPTH = 5;

/** A device node under an interface, and for a CD-ROM the SCSI device above it (its vendor and model files). */
interface FoundNode {
  node: string;
  scsiDir?: string;
}

/**
 * The USB devices as the kernel lists them in sysfs, read under the injected file root
 * (`/` on the appliance, a recorded tree in tests). It hears nothing by itself: the agent
 * reads it at every pass, so a device plugged in shows within one poll.
 */
export interface SysfsUsbOptions {
  root: FileRoot;
  /** The CD drive at a block device node (`/dev/sr1`): the Linux CD backend, given by the registration. */
  cdDrive?: (node: string) => CdromBackend;
}

export class SysfsUsb implements UsbBackend {
  readonly kind = 'sysfs';
  /** The CD/DVD drives of the last listing, by bus path: one backend per drive while it stays at that port and node. */
  private drives = new Map<string, { node: string; drive: CdromBackend }>();

  constructor(private readonly o: SysfsUsbOptions) {}

  cdDrive(busPath: string): CdromBackend | null {
    return this.drives.get(busPath)?.drive ?? null;
  }

  async list(): Promise<UsbDevice[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.o.root.resolve(DEVICES));
    } catch (cause) {
      // No USB bus at all (a machine without one, or a container): nothing is plugged in.
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new DriverError('FILE_UNREADABLE', `Cannot list ${DEVICES}: this machine shows no USB bus.`, { path: DEVICES }, { cause });
    }
    const devices: UsbDevice[] = [];
    for (const name of names.filter((n) => DEVICE_NAME.test(n))) {
      // A device pulled out while it is read is simply no longer there.
      const d = await this.device(name, names.filter((n) => n.startsWith(`${name}:`))).catch(() => null);
      if (d) devices.push(d);
    }
    this.keepDrives(devices);
    return devices.sort(byBusPath);
  }

  /** Keeps the backend of each CD/DVD drive still plugged in at the same node, and makes one for each new one. */
  private keepDrives(devices: UsbDevice[]): void {
    const make = this.o.cdDrive;
    const next = new Map<string, { node: string; drive: CdromBackend }>();
    for (const d of devices) {
      if (!make || d.kind !== 'cd-dvd' || d.node === null || !d.node.startsWith('/dev/sr')) continue;
      const had = this.drives.get(d.busPath);
      next.set(d.busPath, had?.node === d.node ? had : { node: d.node, drive: make(d.node) });
    }
    this.drives = next;
  }

  onChange(): () => void {
    return () => {};
  }

  private async device(name: string, interfaceNames: string[]): Promise<UsbDevice | null> {
    const dir = `${DEVICES}/${name}`;
    const vendorId = await this.text(`${dir}/idVendor`);
    const productId = await this.text(`${dir}/idProduct`);
    if (vendorId === null || productId === null) return null;
    const interfaces: UsbInterfaceClass[] = [];
    let found: FoundNode | null = null;
    for (const i of interfaceNames.sort()) {
      const cls = await this.hexByte(`${DEVICES}/${i}/bInterfaceClass`);
      if (cls !== null) {
        interfaces.push({ cls, subclass: (await this.hexByte(`${DEVICES}/${i}/bInterfaceSubClass`)) ?? 0, protocol: (await this.hexByte(`${DEVICES}/${i}/bInterfaceProtocol`)) ?? 0 });
      }
      found ??= await this.nodeBelow(`${DEVICES}/${i}`);
    }
    const node = found?.node ?? null;
    // A drive that names itself only in its SCSI inquiry (no USB strings) is named by that.
    const scsi = (file: string) => (found?.scsiDir ? this.text(`${found.scsiDir}/${file}`) : Promise.resolve(null));
    if (isHub((await this.hexByte(`${dir}/bDeviceClass`)) ?? 0, interfaces)) return null;
    return {
      busPath: name,
      vendorId: vendorId.toLowerCase(),
      productId: productId.toLowerCase(),
      kind: classify(vendorId.toLowerCase(), interfaces, node),
      manufacturer: (await this.text(`${dir}/manufacturer`)) ?? (await scsi('vendor')),
      product: (await this.text(`${dir}/product`)) ?? (await scsi('model')),
      serial: await this.text(`${dir}/serial`),
      node,
      interfaces,
    };
  }

  /**
   * The /dev node a kernel driver made under an interface: a serial port (`ttyUSB0`
   * directly below it, or `tty/ttyACM0`) or a CD-ROM (`host6/.../block/sr1`).
   */
  private async nodeBelow(interfaceDir: string): Promise<FoundNode | null> {
    const walk = async (dir: string, depth: number): Promise<FoundNode | null> => {
      let entries: string[];
      try {
        entries = await fs.readdir(this.o.root.resolve(dir));
      } catch {
        return null;
      }
      for (const e of entries.sort()) {
        if (/^ttyUSB\d+$/.test(e) || (/^ttyACM\d+$/.test(e) && dir.endsWith('/tty'))) return { node: `/dev/${e}` };
        if (/^sr\d+$/.test(e) && dir.endsWith('/block')) return { node: `/dev/${e}`, scsiDir: dir.slice(0, -'/block'.length) };
      }
      if (depth === 0) return null;
      for (const e of entries.sort()) {
        if (/^(tty|block|host\d+|target[\d:]+|\d+:\d+:\d+:\d+)$/.test(e)) {
          const found = await walk(`${dir}/${e}`, depth - 1);
          if (found) return found;
        }
      }
      return null;
    };
    return walk(interfaceDir, BLOCK_DEPTH);
  }

  private async text(path: string): Promise<string | null> {
    const v = (await this.o.root.readIfExists(path))?.trim();
    return v === undefined || v === '' ? null : v;
  }

  private async hexByte(path: string): Promise<number | null> {
    const v = await this.text(path);
    if (v === null || !/^[0-9a-fA-F]{1,2}$/.test(v)) return null;
    return Number.parseInt(v, 16);
  }
}
