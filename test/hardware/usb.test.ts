import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startHardware } from '../../src/hardware/start.js';
import { hwStatus } from '../../src/status/hardware.js';
import { applianceConfig, captureLog, hardwareBed } from './bed.js';

/** This machine's USB bus, if it has one: then libusb sees it and there is no unavailability to test. */
const HAS_USB_BUS = existsSync('/sys/bus/usb/devices');
if (HAS_USB_BUS) console.log('test/hardware/usb.test.ts: skipping node-usb\'s unavailability: this machine has a USB bus (/sys/bus/usb/devices).');

const bed = hardwareBed('qkm-usb-family-');

describe('the usb family on the appliance profile', () => {
  it.skipIf(HAS_USB_BUS)('node-usb on a machine without a USB bus: loaded for real, said once in the log and in hw status, and the agent carries on without going blind', async () => {
    const { log, lines } = captureLog();
    const host = (bed.host = await startHardware(applianceConfig(bed.dir, { QKM_HARDWARE_USB: 'node-usb' }), bed.engine.tickets, log));
    const agent = host.agent!;
    // Passes enough for a failing driver to be retried and called blind (two failures).
    for (let i = 0; i < 3; i++) {
      agent.kick();
      await agent.settled();
    }

    const aboutUsb = lines.filter((l) => l.driver === 'usb' || /USB|usb/.test(l.msg));
    expect(aboutUsb).toHaveLength(1);
    expect(aboutUsb[0]!.level).toBe(40);
    expect(aboutUsb[0]!.msg).toMatch(/^The USB driver "node-usb" is unavailable on this machine \(libusb sees no USB bus: .*\/sys\/bus\/usb\/devices\/ not found.*\); the agent carries on without USB devices\.$/);

    const s = hwStatus(host, bed.engine.tickets);
    expect(s.usb).toEqual({ devices: [], unavailable: aboutUsb[0]!.msg });
    expect(s.agent.blind).not.toContain('usb');
    expect(bed.engine.tickets.list({ openOnly: true }).map((t) => t.condition)).not.toContain('hw:driver-blind:usb');
  });

  it('sysfs (the default) on a root with no USB bus: nothing plugged in, nothing said', async () => {
    const { log, lines } = captureLog();
    const host = (bed.host = await startHardware(applianceConfig(bed.dir), bed.engine.tickets, log));
    host.agent!.kick();
    await host.agent!.settled();
    expect(lines.filter((l) => l.driver === 'usb' || /USB|usb/.test(l.msg))).toEqual([]);
    expect(hwStatus(host, bed.engine.tickets).usb).toEqual({ devices: [], unavailable: null });
  });
});
