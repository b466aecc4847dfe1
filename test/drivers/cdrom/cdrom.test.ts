import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, SystemClock } from '../../../drivers/clock.js';
import { readVolumeLabel } from '../../../src/update/iso9660/index.js';
import { SimCdrom } from '../../../drivers/cdrom/sim.js';
import { isDriverError } from '../../../drivers/errors.js';
import { makeTempRoot, removeTempRoot } from '../helpers.js';
import { cdromContract, fakeIso } from './contract.js';

cdromContract('sim', async () => {
  // Fast enough that the contract runs in milliseconds, paced all the same.
  const backend = new SimCdrom({ clock: new SystemClock(), readKiBps: 1_000_000, readLabel: readVolumeLabel });
  return {
    backend,
    load: async (file) => {
      if ((await backend.status()).media || (await backend.status()).trayOpen) await backend.removeDisc().catch(() => {});
      await backend.insert(file);
    },
    unload: async () => void (await backend.removeDisc().catch(() => {})),
    done: () => backend.close(),
  };
});

describe('sim CD drive', () => {
  it('reads at the configured speed: 256 KiB at 128 KiB/s takes 2 s of its clock', async () => {
    const dir = await makeTempRoot('qkm-cdrom-');
    try {
      const clock = new ManualClock(0);
      const cd = new SimCdrom({ clock, readKiBps: 128, readLabel: readVolumeLabel });
      const iso = path.join(dir, 'a.iso');
      await fakeIso(iso, 'SLOW');
      await cd.insert(iso);
      let total = 0;
      const reading = (async () => {
        for await (const c of cd.read()) total += c.length;
      })();
      // Move the clock in steps, letting the file reads in between finish.
      for (let t = 0; t < 1_900; t += 100) {
        await new Promise((r) => setTimeout(r, 5));
        clock.advance(100);
      }
      expect((await cd.status()).busy).toBe(true);
      expect(total).toBeLessThan(256 * 1024);
      for (let t = 0; t < 300; t += 100) {
        await new Promise((r) => setTimeout(r, 5));
        clock.advance(100);
      }
      await reading;
      expect(total).toBe(256 * 1024);
      expect((await cd.status()).busy).toBe(false);
      expect(clock.pendingCount).toBe(0);
    } finally {
      await removeTempRoot(dir);
    }
  });

  it('refuses a missing file and a second disc in one sentence each; power off ends a read without leaving a timer', async () => {
    const dir = await makeTempRoot('qkm-cdrom-');
    try {
      const clock = new ManualClock(0);
      const cd = new SimCdrom({ clock, readKiBps: 1, readLabel: readVolumeLabel });
      const missing = path.join(dir, 'nope.iso');
      await expect(cd.insert(missing)).rejects.toSatisfy((e) => isDriverError(e, 'FILE_UNREADABLE') && (e as Error).message === `There is no ISO image at ${missing} to put in the CD drive; give the path of an existing .iso file.`);
      const iso = path.join(dir, 'a.iso');
      await fakeIso(iso, 'ONE');
      await cd.insert(iso);
      await expect(cd.insert(iso)).rejects.toThrow('The CD drive already holds the disc ONE; eject it first.');
      const reading = (async () => {
        for await (const _ of cd.read());
      })();
      await new Promise((r) => setTimeout(r, 20));
      expect((await cd.status()).busy).toBe(true);
      cd.close();
      await reading;
      expect((await cd.status()).busy).toBe(false);
      expect(clock.pendingCount).toBe(0);
    } finally {
      await removeTempRoot(dir);
    }
  });
});
