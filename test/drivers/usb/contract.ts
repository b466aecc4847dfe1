import { afterEach, describe, expect, it } from 'vitest';
import { type UsbBackend, usbRole } from '../../../drivers/usb/contract.js';

export interface UsbHarness {
  backend: UsbBackend;
  /** Plugs in a device of that kind, as a person would; returns its bus path. */
  plug(kind: 'cd-dvd' | 'usb-serial'): Promise<string>;
  unplug(busPath: string): Promise<void>;
  /** Whether the backend hears plugging itself (else the agent's poll finds it). */
  hears: boolean;
  done?(): Promise<void> | void;
}

/** What every USB backend promises. */
export function usbContract(name: string, makeHarness: () => Promise<UsbHarness>): void {
  describe(`usb contract: ${name}`, () => {
    let h: UsbHarness | undefined;
    afterEach(async () => {
      await h?.done?.();
      h = undefined;
    });

    it('lists what is plugged in, in port order, with what it is; a device pulled out goes away', async () => {
      h = await makeHarness();
      let heard = 0;
      const off = h.backend.onChange(() => heard++);
      expect(await h.backend.list()).toEqual([]);

      const cd = await h.plug('cd-dvd');
      const serial = await h.plug('usb-serial');
      const both = await h.backend.list();
      expect(both.map((d) => d.busPath)).toEqual([cd, serial].sort());
      const drive = both.find((d) => d.busPath === cd)!;
      expect(drive).toMatchObject({ kind: 'cd-dvd', vendorId: expect.stringMatching(/^[0-9a-f]{4}$/), productId: expect.stringMatching(/^[0-9a-f]{4}$/) });
      expect(drive.node).toMatch(/^\/dev\/sr\d+$/);
      expect(usbRole(drive)).toBe('update-source');
      const adapter = both.find((d) => d.busPath === serial)!;
      expect(adapter.kind).toBe('usb-serial');
      expect(adapter.node).toMatch(/^\/dev\/tty(USB|ACM)\d+$/);
      expect(usbRole(adapter)).toBe('console');

      // The CD/DVD drive is a CD drive the update reads, the same one while it stays; a serial adapter is none.
      const reader = h.backend.cdDrive?.(cd);
      expect(reader).toBeTruthy();
      await h.backend.list();
      expect(h.backend.cdDrive?.(cd)).toBe(reader);
      expect(h.backend.cdDrive?.(serial)).toBeNull();

      await h.unplug(cd);
      expect((await h.backend.list()).map((d) => d.busPath)).toEqual([serial]);
      expect(h.backend.cdDrive?.(cd)).toBeNull();
      off();
      expect(heard > 0).toBe(h.hears);
    });
  });
}
