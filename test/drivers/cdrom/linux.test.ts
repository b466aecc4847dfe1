import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageCdrom } from '../../../drivers/cdrom/image.js';
import { parseCdromInfo, parseUdevProperties } from '../../../drivers/cdrom/linux-info.js';
import { LinuxCdrom } from '../../../drivers/cdrom/linux.js';
import { isDriverError } from '../../../drivers/errors.js';
import { FileRoot } from '../../../drivers/file-root.js';
import { FixtureRunner } from '../../../drivers/runner.js';
import { readVolumeLabel } from '../../../src/update/iso9660/index.js';
import { makeTempRoot, plant, readFixture, removeTempRoot } from '../helpers.js';
import { cdromContract, fakeIso } from './contract.js';

const UDEVADM = 'udevadm info --query=property --name=/dev/sr0';

/**
 * A Linux box with one optical drive, under a temp root: the cdrom driver's table, sysfs
 * and /dev/sr0 (the disc's bytes, a regular file here) are files; udevadm and eject answer
 * from recorded output, as the drive would: udev shows the disc while the tray is closed
 * on one, eject moves the tray.
 */
class FakeDrive {
  readonly runner = new FixtureRunner();
  private disc: Buffer | null = null;
  private trayOpen = false;
  private constructor(readonly dir: string, private readonly withDisc: string, private readonly empty: string) {
    this.runner.set(UDEVADM, () => ({ stdout: this.disc && !this.trayOpen ? this.withDisc : this.empty }));
    this.runner.set('eject /dev/sr0', () => {
      this.trayOpen = true;
      return {};
    });
    this.runner.set('eject -t /dev/sr0', () => {
      this.trayOpen = false;
      return {};
    });
  }

  static async make(): Promise<FakeDrive> {
    const dir = await makeTempRoot('qkm-sr0-');
    await plant(dir, '/proc/sys/dev/cdrom/info', await readFixture('cdrom', 'proc-cdrom-info.txt'));
    await plant(dir, '/sys/block/sr0/size', '0\n');
    await fs.mkdir(path.join(dir, 'dev'), { recursive: true });
    return new FakeDrive(dir, await readFixture('cdrom', 'udevadm-sr0-disc.txt'), await readFixture('cdrom', 'udevadm-sr0-empty.txt'));
  }

  async insert(file: string): Promise<void> {
    this.disc = await fs.readFile(file);
    await fs.writeFile(path.join(this.dir, 'dev/sr0'), this.disc);
    await fs.writeFile(path.join(this.dir, 'sys/block/sr0/size'), `${this.disc.length / 512}\n`);
    this.trayOpen = false;
  }

  async remove(): Promise<void> {
    this.disc = null;
    await fs.rm(path.join(this.dir, 'dev/sr0'), { force: true });
    await fs.writeFile(path.join(this.dir, 'sys/block/sr0/size'), '0\n');
  }

  backend(moveTray = true): LinuxCdrom {
    return new LinuxCdrom({ root: new FileRoot(this.dir), runner: this.runner, device: '/dev/sr0', readLabel: readVolumeLabel, timeoutMs: 5000, moveTray });
  }
}

cdromContract('linux', async () => {
  const drive = await FakeDrive.make();
  const backend = drive.backend();
  return {
    backend,
    load: (file) => drive.insert(file),
    unload: () => drive.remove(),
    done: () => void removeTempRoot(drive.dir),
  };
});

cdromContract('image', async () => {
  const dir = await makeTempRoot('qkm-image-cd-');
  const backend = new ImageCdrom({ root: new FileRoot(dir), image: '/srv/update.iso', readLabel: readVolumeLabel });
  const file = path.join(dir, 'srv/update.iso');
  return {
    backend,
    load: async (iso) => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.copyFile(iso, file);
      await backend.closeTray();
    },
    unload: () => fs.rm(file, { force: true }),
    done: () => void removeTempRoot(dir),
  };
});

describe('Linux CD drive', () => {
  let drive: FakeDrive | undefined;
  afterEach(async () => {
    if (drive) await removeTempRoot(drive.dir);
    drive = undefined;
  });

  it('reads udev properties in both of udevadm\'s forms and the drive\'s column of the cdrom table', async () => {
    expect(parseUdevProperties(await readFixture('cdrom', 'udevadm-sr0-disc.txt'))).toMatchObject({ DEVNAME: '/dev/sr0', ID_CDROM_MEDIA: '1', ID_CDROM_MEDIA_STATE: 'appendable' });
    const empty = parseUdevProperties(await readFixture('cdrom', 'udevadm-sr0-empty.txt'));
    expect(empty).toMatchObject({ DEVNAME: '/dev/sr0', ID_CDROM: '1', ID_MODEL: 'DVD-RAM_UJ-850S' });
    expect(empty.ID_CDROM_MEDIA).toBeUndefined();
    const info = await readFixture('cdrom', 'proc-cdrom-info.txt');
    expect(parseCdromInfo(info, 'sr0')).toEqual({ canOpenTray: true, canCloseTray: true });
    expect(parseCdromInfo(info, 'sr1')).toBeNull();
    const two = 'drive name:\t\tsr1\tsr0\nCan close tray:\t\t1\t0\nCan open tray:\t\t1\t1\n';
    expect(parseCdromInfo(two, 'sr0')).toEqual({ canOpenTray: true, canCloseTray: false });
  });

  it('no cdrom driver table, or no such drive in it: no drive, and a read says so', async () => {
    drive = await FakeDrive.make();
    await fs.writeFile(path.join(drive.dir, 'proc/sys/dev/cdrom/info'), 'CD-ROM information, Id: cdrom.c 3.20 2003/12/17\n\ndrive name:\t\tsr1\n');
    const cd = drive.backend();
    expect(await cd.status()).toEqual({ present: false, trayOpen: null, media: null, busy: false });
    await expect(cd.withImage(async () => 1)).rejects.toThrow('This box has no CD drive at /dev/sr0.');
    await fs.rm(path.join(drive.dir, 'proc/sys/dev/cdrom/info'));
    expect((await cd.status()).present).toBe(false);
  });

  it('moves the tray only when the configuration allows it, and runs nothing otherwise', async () => {
    drive = await FakeDrive.make();
    const iso = path.join(drive.dir, 'd.iso');
    await fakeIso(iso, 'QKM_2_4_0');
    await drive.insert(iso);
    const cd = drive.backend(false);
    await expect(cd.openTray()).rejects.toSatisfy((e) => isDriverError(e, 'RUNNER_DISABLED') && (e as Error).message === 'Moving the CD tray is switched off in this configuration; press the drive\'s eject button.');
    await expect(cd.closeTray()).rejects.toThrow('Moving the CD tray is switched off in this configuration; push the tray in.');
    expect(drive.runner.calls.filter((c) => c.line.startsWith('eject'))).toEqual([]);
    expect((await cd.status()).media).toEqual({ label: 'QKM_2_4_0', sizeBytes: 256 * 1024 });
  });

  it('a disc put in by hand is noticed at the next reading and told to listeners; its label is read once', async () => {
    drive = await FakeDrive.make();
    const cd = drive.backend();
    let changes = 0;
    cd.onChange(() => changes++);
    expect((await cd.status()).media).toBeNull();
    const iso = path.join(drive.dir, 'd.iso');
    await fakeIso(iso, 'BY_HAND');
    await drive.insert(iso);
    expect(await cd.status()).toEqual({ present: true, trayOpen: false, media: { label: 'BY_HAND', sizeBytes: 256 * 1024 }, busy: false });
    expect(changes).toBe(1);
    await fs.writeFile(path.join(drive.dir, 'dev/sr0'), Buffer.alloc(256 * 1024)); // the label is not read again for the same disc
    expect((await cd.status()).media?.label).toBe('BY_HAND');
    expect(changes).toBe(1);
  });

  it('a drive that cannot pull its tray in says so instead of running eject -t', async () => {
    drive = await FakeDrive.make();
    const info = (await readFixture('cdrom', 'proc-cdrom-info.txt')).replace('Can close tray:\t\t1', 'Can close tray:\t\t0');
    await fs.writeFile(path.join(drive.dir, 'proc/sys/dev/cdrom/info'), info);
    await expect(drive.backend().closeTray()).rejects.toThrow('This CD drive cannot pull its tray in by itself; push the tray in.');
    expect(drive.runner.calls.map((c) => c.line)).not.toContain('eject -t /dev/sr0');
  });
});
