import { existsSync, readFileSync } from 'node:fs';
import { SimBeeps } from '../../drivers/beeps/sim.js';
import { SimCdrom } from '../../drivers/cdrom/sim.js';
import type { Clock } from '../../drivers/clock.js';
import { SimDisks } from '../../drivers/disks/sim.js';
import { FRONT_PANEL_LEDS } from '../../drivers/leds/contract.js';
import { SimLeds } from '../../drivers/leds/sim.js';
import { SimRaid } from '../../drivers/raid/sim.js';
import { SimUsb } from '../../drivers/usb/sim.js';
import { SimBays, type SimDiskSpec } from '../../drivers/sim/bays.js';
import { DriverError } from '../../drivers/errors.js';
import { writeFileDurable } from '../util/durable-file.js';
import { readVolumeLabel } from '../update/iso9660/index.js';

/** One bay as the world file keeps it. `inSync`: a whole mirror half (not a spare, not mid-rebuild). */
interface SavedBay {
  spec: Required<SimDiskSpec>;
  failed: boolean;
  blank: boolean;
  inSync: boolean;
}

interface SavedWorld {
  version: 1;
  nextSerial: number;
  bays: (SavedBay | null)[];
}

export interface SimApplianceOptions {
  clock: Clock;
  rebuildMs: number;
  startDelayMs: number;
  /** CD read speed in KiB/s (default 3600, a 24x drive). */
  cdReadKiBps?: number;
  /** Keeps the world (which disk is in which bay, failed or not, in the mirror or not) across restarts. */
  stateFile?: string;
}

/**
 * The simulated appliance: two hot-swap bays, an md-like RAID 1 over them, the disks'
 * SMART view and the front-panel LEDs, on one clock.
 *
 * Disks keep their state when the power goes, so the world is written to `stateFile`
 * on every change, and a qkmd that starts again finds the bays as they were. A disk
 * that was being rebuilt comes back as a spare and its rebuild starts again from the
 * beginning (md would resume from its checkpoint; starting over is the honest worst case).
 */
export class SimAppliance {
  readonly bays: SimBays;
  readonly raid: SimRaid;
  readonly disks: SimDisks;
  readonly leds: SimLeds;
  /** The CD drive; its disc is not kept across restarts (nothing needs it to be yet). */
  readonly cdrom: SimCdrom;
  /** The USB ports; what is plugged in is not kept across restarts (a power cut unplugs nothing, but nothing needs it yet). */
  readonly usb: SimUsb;
  /** The speaker: each play is a boot's POST. Powering on (constructing) plays the single beep of a pass. */
  readonly beeps: SimBeeps;
  private nextSerial: number;
  private saving: Promise<void> = Promise.resolve();
  private reading: Promise<void> = Promise.resolve();
  private readonly unwatch: (() => void)[] = [];

  constructor(private readonly o: SimApplianceOptions) {
    const saved = o.stateFile && existsSync(o.stateFile) ? (JSON.parse(readFileSync(o.stateFile, 'utf8')) as SavedWorld) : null;
    this.nextSerial = saved?.nextSerial ?? 1;
    const whole = saved ? saved.bays.map((b) => (b && (b.inSync || b.failed) ? b : null)) : undefined;
    this.bays = new SimBays(whole ? whole.map((b) => (b ? { ...b.spec, blank: b.blank } : null)) : undefined);
    whole?.forEach((b, bay) => {
      if (b?.failed) this.bays.disk(bay)!.failed = true;
    });
    this.raid = new SimRaid({ bays: this.bays, clock: o.clock, rebuildMs: o.rebuildMs, startDelayMs: o.startDelayMs });
    // Disks that were not a whole mirror half go back in after the array is assembled, as md re-adds them.
    saved?.bays.forEach((b, bay) => {
      if (b && !b.inSync && !b.failed) this.bays.insert(bay, { ...b.spec, blank: true });
    });
    this.disks = new SimDisks(this.bays);
    this.leds = new SimLeds(FRONT_PANEL_LEDS, () => o.clock.now());
    const newCdDrive = () => new SimCdrom({ clock: o.clock, readKiBps: o.cdReadKiBps ?? 3600, readLabel: readVolumeLabel });
    this.cdrom = newCdDrive();
    // A USB CD/DVD drive reads at the built-in drive's speed: both are the simulator's one setting.
    this.usb = new SimUsb({ newCdDrive });
    this.beeps = new SimBeeps(o.clock);
    this.beeps.play();
    this.unwatch.push(this.bays.onChange(() => this.save()));
    this.unwatch.push(this.raid.subscribe((e) => {
      if (e.type.startsWith('rebuild-') && e.type !== 'rebuild-progress') this.save();
    }));
    this.save();
  }

  pullDisk(bay: number): string {
    const serial = this.bays.disk(bay)?.spec.serial ?? '';
    this.bays.pull(bay);
    return serial;
  }

  /** Inserts a new blank disk (it is rebuilt into the mirror by itself); a faulty one fails part-way. */
  insertDisk(bay: number, opts: { faulty?: boolean } = {}): string {
    const serial = `SIMR${String(this.nextSerial).padStart(4, '0')}`;
    this.bays.insert(bay, { serial, faulty: opts.faulty ?? false, blank: true });
    this.nextSerial++;
    this.save();
    return serial;
  }

  failDisk(bay: number): string {
    this.bays.fail(bay);
    return this.bays.disk(bay)!.spec.serial;
  }

  /**
   * Reads the whole disc through the drive, as an update would, so the CD activity LED
   * shows; answers at once with what it reads and how long it should take, and the read
   * runs on (a disc takes minutes). A second read while one runs is refused.
   */
  async readCd(): Promise<{ label: string | null; sizeBytes: number | null; seconds: number | null }> {
    const st = await this.cdrom.status();
    if (st.busy) throw new DriverError('BAY_OCCUPIED', 'The CD drive is already being read; wait until its activity LED goes off.');
    // Starts the read now, so a disc missing or a tray open is refused here, not lost in the background.
    const it = this.cdrom.read()[Symbol.asyncIterator]();
    const first = await it.next();
    this.reading = (async () => {
      if (first.done) return;
      for (let r = await it.next(); !r.done; r = await it.next());
    })().catch(() => {
      // A read cut short by eject or power off is what happens to a real drive; nothing to report.
    });
    const bytes = st.media?.sizeBytes ?? null;
    return { label: st.media?.label ?? null, sizeBytes: bytes, seconds: bytes === null ? null : bytes / ((this.o.cdReadKiBps ?? 3600) * 1024) };
  }

  /** Resolves when every change so far is on disk. */
  flush(): Promise<void> {
    return this.saving;
  }

  async close(): Promise<void> {
    for (const u of this.unwatch.splice(0)) u();
    this.cdrom.close();
    this.usb.close();
    await this.reading;
    await this.raid.close();
    await this.flush();
  }

  private save(): void {
    const file = this.o.stateFile;
    if (!file) return;
    this.saving = this.saving.then(async () => {
      const status = await this.raid.status();
      const world: SavedWorld = {
        version: 1,
        nextSerial: this.nextSerial,
        bays: Array.from({ length: this.bays.count }, (_, bay) => {
          const d = this.bays.disk(bay);
          if (!d) return null;
          const member = status.members.find((m) => m.bay === bay);
          return { spec: d.spec, failed: d.failed, blank: d.blank, inSync: member?.state === 'active' };
        }),
      };
      writeFileDurable(file, `${JSON.stringify(world, null, 2)}\n`, 0o600);
    }).catch(() => {
      // A world file that cannot be written only costs the next start its memory of the bays.
    });
  }
}
