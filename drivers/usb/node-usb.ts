import type { WebUSB } from 'usb';
import { DriverError } from '../errors.js';
import { byBusPath, classify, hex4, isHub, type UsbBackend, type UsbDevice, type UsbInterfaceClass } from './contract.js';

/** A device as node-usb gives it (its type is not exported by name). */
type NodeUsbDevice = Awaited<ReturnType<WebUSB['getDevices']>>[number];
type NodeUsbInterface = { alternate: { interfaceClass: number; interfaceSubclass: number; interfaceProtocol: number } };

/**
 * The USB devices as libusb sees them, through node-usb's WebUSB interface, with its
 * hot-plug events. node-usb is a native addon: it is imported here only, and this module
 * is imported only when the configuration selects this backend. libusb names no device
 * nodes, so `node` is null: classification comes from the descriptors.
 */
export class NodeUsb implements UsbBackend {
  readonly kind = 'node-usb';
  private readonly listeners = new Set<() => void>();
  private readonly changed = () => {
    for (const l of [...this.listeners]) l();
  };

  private constructor(private readonly webusb: WebUSB) {
    webusb.addEventListener('connect', this.changed);
    webusb.addEventListener('disconnect', this.changed);
  }

  /**
   * Loads node-usb and lists the bus once, so that a machine where libusb sees no bus
   * (no /sys/bus/usb/devices, as in a container) is told now, as DRIVER_UNAVAILABLE
   * with libusb's own words, and not at every poll.
   */
  static async open(): Promise<NodeUsb> {
    let webusb: WebUSB;
    try {
      const { WebUSB } = await import('usb');
      webusb = new WebUSB({ allowAllDevices: true });
      await webusb.getDevices();
    } catch (cause) {
      const why = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
      throw new DriverError('DRIVER_UNAVAILABLE', `libusb sees no USB bus: ${why}`, { backend: 'node-usb' }, { cause });
    }
    return new NodeUsb(webusb);
  }

  async list(): Promise<UsbDevice[]> {
    const found = await this.webusb.getDevices();
    return found.map(describe).filter((d): d is UsbDevice => d !== null).sort(byBusPath);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.webusb.removeEventListener('connect', this.changed);
    this.webusb.removeEventListener('disconnect', this.changed);
    this.listeners.clear();
  }
}

function describe(d: NodeUsbDevice): UsbDevice | null {
  const interfaces: UsbInterfaceClass[] = ((d.configuration?.interfaces ?? []) as NodeUsbInterface[]).map((i) => ({
    cls: i.alternate.interfaceClass,
    subclass: i.alternate.interfaceSubclass,
    protocol: i.alternate.interfaceProtocol,
  }));
  if (isHub(d.deviceClass, interfaces)) return null;
  const vendorId = hex4(d.vendorId);
  return {
    busPath: d.bus,
    vendorId,
    productId: hex4(d.productId),
    kind: classify(vendorId, interfaces),
    manufacturer: d.manufacturerName ?? null,
    product: d.productName ?? null,
    serial: d.serialNumber ?? null,
    node: null,
    interfaces,
  };
}
