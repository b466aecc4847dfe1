import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LinuxCdrom } from '../../../drivers/cdrom/linux.js';
import { SimCdrom } from '../../../drivers/cdrom/sim.js';
import { ManualClock } from '../../../drivers/clock.js';
import { FileRoot } from '../../../drivers/file-root.js';
import { FixtureRunner } from '../../../drivers/runner.js';
import { SimUsb } from '../../../drivers/usb/sim.js';
import { SysfsUsb } from '../../../drivers/usb/sysfs.js';
import { fixturePath, makeTempRoot, removeTempRoot } from '../helpers.js';
import { usbContract } from './contract.js';

const DEVICES = 'sys/bus/usb/devices';

usbContract('sim', async () => {
  const backend = new SimUsb({ newCdDrive: () => new SimCdrom({ clock: new ManualClock(), readKiBps: 3600, readLabel: async () => null }) });
  return {
    backend,
    hears: true,
    plug: async (kind) => (await backend.plug(kind)).busPath,
    unplug: async (port) => void backend.unplug(port),
    done: () => backend.close(),
  };
});

/**
 * sysfs on the recorded trees: both machines' device folders are copied under one
 * root, and plugging a device is what the kernel does, its links appearing in
 * /sys/bus/usb/devices (and going on unplug).
 */
usbContract('sysfs', async () => {
  const root = await makeTempRoot('qkm-usb-');
  await fs.mkdir(path.join(root, DEVICES), { recursive: true });
  const sources = { 'cd-dvd': ['onda-virtual-cdrom', '1-4'], 'usb-serial': ['ftdi-and-modem', '3-2'] } as const;
  for (const [fixture] of Object.values(sources)) await fs.cp(path.join(fixturePath('usb', fixture), 'sys/devices'), path.join(root, 'sys/devices'), { recursive: true, verbatimSymlinks: true });
  // Each drive found is read as the Linux CD backend reads /dev/srN, as the registration makes it.
  const cdDrive = (device: string) => new LinuxCdrom({ root: new FileRoot(root), runner: new FixtureRunner(), device, readLabel: async () => null, timeoutMs: 1000, moveTray: false });
  return {
    backend: new SysfsUsb({ root: new FileRoot(root), cdDrive }),
    hears: false,
    plug: async (kind) => {
      const [fixture, device] = sources[kind];
      const links = (await fs.readdir(path.join(fixturePath('usb', fixture), DEVICES))).filter((n) => n === device || n.startsWith(`${device}:`));
      for (const l of links) await fs.symlink(await fs.readlink(path.join(fixturePath('usb', fixture), DEVICES, l)), path.join(root, DEVICES, l));
      return device;
    },
    unplug: async (device) => {
      for (const l of await fs.readdir(path.join(root, DEVICES))) if (l === device || l.startsWith(`${device}:`)) await fs.unlink(path.join(root, DEVICES, l));
    },
    done: () => removeTempRoot(root),
  };
});

describe('sysfs USB backend on recorded machines', () => {
  const list = (fixture: string) => new SysfsUsb({ root: new FileRoot(fixturePath('usb', fixture)) }).list();

  it('a laptop with an FTDI serial cable and a 3G modem: every device but the hubs, each for what it is', async () => {
    const devices = await list('ftdi-and-modem');
    expect(devices.map((d) => [d.busPath, `${d.vendorId}:${d.productId}`, d.kind, d.node])).toEqual([
      ['1-1.2', '0461:4d22', 'other', null],
      ['1-1.3', '147e:2020', 'other', null],
      ['1-1.4', '0a5c:21e6', 'other', null],
      ['1-1.6', '5986:0266', 'other', null],
      ['3-2', '0403:6010', 'usb-serial', '/dev/ttyUSB0'],
      ['3-4', '0bdb:1926', 'usb-serial', '/dev/ttyACM0'],
    ]);
    expect(devices.find((d) => d.busPath === '3-2')).toMatchObject({
      manufacturer: 'FTDI', product: 'USB <-> Serial Cable', serial: 'FTWXDZV0',
      interfaces: [{ cls: 0xff, subclass: 0xff, protocol: 0xff }, { cls: 0xff, subclass: 0xff, protocol: 0xff }],
    });
  });

  it('a mobile broadband stick showing its CD-ROM: a CD/DVD drive at /dev/sr1, known by its sr node and named by its SCSI inquiry', async () => {
    expect(await list('onda-virtual-cdrom')).toEqual([{
      busPath: '1-4', vendorId: '19d2', productId: '2000', kind: 'cd-dvd', manufacturer: 'ONDA', product: 'USB SCSI CD-ROM', serial: null, node: '/dev/sr1', interfaces: [],
    }]);
  });

  it('a Lite-ON USB DVD drive: a CD/DVD drive at /dev/sr1, named by its USB strings, read as the Linux CD drive /dev/sr1', async () => {
    const root = new FileRoot(fixturePath('usb', 'liteon-usb-dvd'));
    const made: string[] = [];
    const backend = new SysfsUsb({ root, cdDrive: (device) => {
      made.push(device);
      return new LinuxCdrom({ root, runner: new FixtureRunner(), device, readLabel: async () => null, timeoutMs: 1000, moveTray: false });
    } });
    expect(await backend.list()).toEqual([{
      busPath: '1-1', vendorId: '1c6b', productId: 'a223', kind: 'cd-dvd', manufacturer: 'USB2.0 External', product: 'Mass Storage Device', serial: '09_426102504806',
      node: '/dev/sr1', interfaces: [{ cls: 0x08, subclass: 0x02, protocol: 0x50 }],
    }]);
    // The update reads it through the Linux CD backend on its own node, one backend while it stays plugged in.
    expect(backend.cdDrive('1-1')).toBeInstanceOf(LinuxCdrom);
    await backend.list();
    expect(made).toEqual(['/dev/sr1']);
    expect(backend.cdDrive('1-2')).toBeNull();
  });

    it('a machine with no USB bus lists nothing', async () => {
    const root = await makeTempRoot('qkm-usb-none-');
    try {
      expect(await new SysfsUsb({ root: new FileRoot(root) }).list()).toEqual([]);
    } finally {
      await removeTempRoot(root);
    }
  });
});
