import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CdromBackend } from '../../../drivers/cdrom/contract.js';
import { isDriverError } from '../../../drivers/errors.js';
import { makeTempRoot, removeTempRoot } from '../helpers.js';

export interface CdromHarness {
  backend: CdromBackend;
  /** Puts the disc (an ISO file) in the drive, tray closed. */
  load(file: string): Promise<void>;
  /** Takes any disc out; the tray may stay open. */
  unload(): Promise<void>;
  done?(): void;
}

/**
 * A minimal ISO 9660 image: empty system area, a primary volume descriptor with the
 * label, padded to `size` bytes. Enough for the contract; the end-to-end test uses xorriso.
 */
export async function fakeIso(file: string, label: string, size = 256 * 1024): Promise<Buffer> {
  const img = Buffer.alloc(size);
  for (let i = 36 * 1024; i < size; i++) img[i] = i % 251; // content a read must deliver unchanged
  const pvd = 16 * 2048;
  img[pvd] = 1;
  img.write('CD001', pvd + 1, 'latin1');
  img[pvd + 6] = 1;
  img.write(label.padEnd(32, ' '), pvd + 40, 'latin1');
  await fs.writeFile(file, img);
  return img;
}

/** What every CD drive backend promises. */
export function cdromContract(name: string, makeHarness: () => Promise<CdromHarness>): void {
  describe(`cdrom contract: ${name}`, () => {
    let dir: string | undefined;
    let h: CdromHarness | undefined;
    afterEach(async () => {
      h?.done?.();
      if (dir) await removeTempRoot(dir);
      dir = h = undefined;
    });
    const setup = async () => {
      dir = await makeTempRoot('qkm-cdrom-');
      h = await makeHarness();
      return { h, iso: path.join(dir, 'disc.iso') };
    };
    const refusesEmpty = async (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e) => isDriverError(e, 'BAY_EMPTY'));
    const readAll = async (b: CdromBackend) => {
      const chunks: Buffer[] = [];
      for await (const c of b.read()) chunks.push(c);
      return Buffer.concat(chunks);
    };

    it('an empty drive: present, no disc, not busy; reading it is refused with BAY_EMPTY', async () => {
      const { h } = await setup();
      await h.unload();
      expect(await h.backend.status()).toMatchObject({ present: true, media: null, busy: false });
      await refusesEmpty(readAll(h.backend));
      await refusesEmpty(h.backend.withImage(async () => 1));
    });

    it('a disc: its label and size, read whole; busy only while it is read, with a change each way', async () => {
      const { h, iso } = await setup();
      const img = await fakeIso(iso, 'QKM_2_4_0');
      await h.load(iso);
      expect(await h.backend.status()).toEqual({ present: true, trayOpen: expect.toSatisfy((t) => t === false || t === null), media: { label: 'QKM_2_4_0', sizeBytes: img.length }, busy: false });
      let changes = 0;
      const off = h.backend.onChange(() => changes++);
      const seenBusy: boolean[] = [];
      const chunks: Buffer[] = [];
      for await (const c of h.backend.read()) {
        chunks.push(c);
        seenBusy.push((await h.backend.status()).busy);
      }
      expect(Buffer.concat(chunks).equals(img)).toBe(true);
      expect(seenBusy.every(Boolean)).toBe(true);
      expect((await h.backend.status()).busy).toBe(false);
      expect(changes).toBeGreaterThanOrEqual(2);
      off();
    });

    it('a read broken off early leaves the drive idle', async () => {
      const { h, iso } = await setup();
      await fakeIso(iso, 'QKMTEST');
      await h.load(iso);
      for await (const _ of h.backend.read()) break;
      expect((await h.backend.status()).busy).toBe(false);
    });

    it('lends the disc as a file, busy until the borrower is done', async () => {
      const { h, iso } = await setup();
      const img = await fakeIso(iso, 'QKMTEST');
      await h.load(iso);
      const got = await h.backend.withImage(async (p) => ({ bytes: await fs.readFile(p), busy: (await h.backend.status()).busy }));
      expect(got.bytes.equals(img)).toBe(true);
      expect(got.busy).toBe(true);
      expect((await h.backend.status()).busy).toBe(false);
    });

    it('an open tray hides the disc; closing it again brings the disc back', async () => {
      const { h, iso } = await setup();
      await fakeIso(iso, 'QKMTEST');
      await h.load(iso);
      await h.backend.openTray();
      await h.backend.openTray(); // opening an open tray is no error
      const open = await h.backend.status();
      expect(open.media).toBeNull();
      expect(open.trayOpen === true || open.trayOpen === null).toBe(true);
      await refusesEmpty(readAll(h.backend));
      await h.backend.closeTray();
      expect((await h.backend.status()).media).toMatchObject({ label: 'QKMTEST' });
    });

    it('a file with no ISO 9660 volume is a disc without a label', async () => {
      const { h, iso } = await setup();
      // Whole 2048-byte sectors, as every disc is (a block device's size is counted in sectors).
      await fs.writeFile(iso, Buffer.alloc(40_960));
      await h.load(iso);
      expect((await h.backend.status()).media).toEqual({ label: null, sizeBytes: 40_960 });
    });
  });
}
