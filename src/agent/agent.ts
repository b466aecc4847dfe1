import type { BeepDecoding, PostReading } from '../../drivers/beeps/contract.js';
import type { CdromBackend, CdStatus } from '../../drivers/cdrom/contract.js';
import type { Clock } from '../../drivers/clock.js';
import { isDriverError } from '../../drivers/errors.js';
import type { DiskInfo } from '../../drivers/disks/contract.js';
import { sameLedState, type LedId, type LedState } from '../../drivers/leds/contract.js';
import type { RaidEvent, RaidStatus } from '../../drivers/raid/contract.js';
import { type UsbDevice, describeUsbDevice } from '../../drivers/usb/contract.js';
import {
  DRIVER_FAMILIES, FAMILY_NAMES, type DriverFactories, type DriverFactory, type DriverFamily, type FamilyContracts,
} from '../hardware/contracts.js';
import { DriverHealth, type BackoffPolicy } from './driver-health.js';
import type { Health, PostFinding } from './health.js';
import { POST_PASSED_PATTERN, POST_PROBLEM } from './manual.js';
import type { LedPlan } from './led-plan.js';
import { initialMemory, type AgentMemory } from './memory.js';
import { reconcile, type ReconcileResult, type TicketStore } from './reconcile.js';
import { supervise } from './supervisor.js';
import { TimerSet } from './timers.js';

/**
 * How the agent gets its drivers: a factory per family (src/hardware assembles them),
 * called at start and again to restart a driver that keeps failing. RAID, disks and LEDs
 * every box has (without one the agent is blind to it); a CD drive only some.
 */
export type AgentDrivers = DriverFactories;

/** The slice of a pino logger the agent uses. */
export interface AgentLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AgentOptions {
  drivers: AgentDrivers;
  tickets: TicketStore;
  clock: Clock;
  pollMs: number;
  /** Longest the agent waits for one driver call before calling it hung. */
  callTimeoutMs: number;
  backoff?: Partial<BackoffPolicy>;
  tempMaxC?: number;
  /** Listen to RAID events (react at once) besides polling. */
  subscribeEvents?: boolean;
  log?: AgentLog;
  /** What a POST pattern means: the server model's beep code table (default: the manual's rule alone). */
  describePost?: (d: BeepDecoding) => Pick<PostFinding, 'verdict' | 'meaning' | 'action'>;
}

export interface AgentSnapshot {
  at: number;
  raid: RaidStatus | null;
  disks: DiskInfo[] | null;
  /** The CD drive as last read; null when there is none or it was never read. */
  cd: CdStatus | null;
  /** What is plugged into the USB ports, as last listed; null when the box lists none. */
  usb: UsbDevice[] | null;
  /** Why USB devices cannot be listed on this machine (its backend did not load); null when they can. */
  usbUnavailable: string | null;
  /** Each USB CD/DVD drive's state as last read, by bus path (a drive that could not be read is left out). */
  usbCds: Record<string, CdStatus>;
  /** The last boot's POST beeps as heard; null when there is no beeps driver or no boot was heard yet. */
  post: PostReading | null;
  health: Health | null;
  plan: LedPlan | null;
  /** What the agent last set on each LED successfully. */
  applied: Partial<Record<LedId, LedState>>;
  drivers: Record<DriverFamily, { failures: number; restarts: number; lastError: string | null }>;
  passes: number;
}

export interface PassReport {
  snapshot: AgentSnapshot;
  tickets: ReconcileResult;
}

const quiet: AgentLog = { info: () => {}, warn: () => {} };

/**
 * The hardware agent: reads the drivers (on a poll timer and at once on a RAID event),
 * runs the pure supervisor, drives the LEDs and reconciles the tickets. A driver call
 * that throws or hangs costs one time-out; repeated failures back off, restart that
 * driver and open a "blind" ticket, while the rest of the agent keeps working.
 */
export class Agent {
  private readonly d: Partial<FamilyContracts> = {};
  /** Why a family's driver could not be made at start; its calls fail with this until a restart makes it. */
  private readonly missing: Partial<Record<DriverFamily, unknown>> = {};
  private readonly unwatch: Partial<Record<DriverFamily, () => void>> = {};
  private readonly timers: TimerSet;
  private readonly health: DriverHealth;
  private readonly log: AgentLog;
  private readonly events: RaidEvent[] = [];
  private readonly listeners = new Set<(r: PassReport) => void>();
  private memory: AgentMemory = initialMemory(0);
  private lastRaid: RaidStatus | null = null;
  private lastDisks: DiskInfo[] | null = null;
  private lastCd: CdStatus | null = null;
  private lastUsb: UsbDevice[] | null = null;
  private lastUsbCds: Record<string, CdStatus> = {};
  private lastPost: PostReading | null = null;
  private lastHealth: Health | null = null;
  private lastPlan: LedPlan | null = null;
  private applied: Partial<Record<LedId, LedState>> = {};
  private pollTimer: ReturnType<TimerSet['set']> | undefined;
  private queued = false;
  private loop: Promise<void> | null = null;
  private started = false;
  private stopped = false;
  private passes = 0;

  constructor(private readonly o: AgentOptions) {
    this.timers = new TimerSet(o.clock);
    this.health = new DriverHealth({ initialMs: 1_000, maxMs: 5 * 60_000, blindAfter: 2, ...o.backoff });
    this.log = o.log ?? quiet;
  }

  /** Opens the drivers, listens for events and takes the first reading (LEDs and tickets set when it resolves). */
  async start(): Promise<void> {
    if (this.started) throw new Error('the agent was already started');
    this.started = true;
    for (const f of DRIVER_FAMILIES) {
      try {
        this.attach(f);
      } catch (e) {
        // A driver that cannot be made (its device or its native addon missing) is a driver gone blind, not a dead agent.
        this.missing[f] = e;
        // An unavailable driver was already announced, in one line, by whoever assembled the drivers.
        if (!isDriverError(e, 'DRIVER_UNAVAILABLE')) this.log.warn({ driver: f, err: e }, 'a hardware driver could not be started');
      }
    }
    this.kick();
    await this.settled();
  }

  /** Stops polling and listening; a call waiting on a hung driver is abandoned. Leaves no timer or listener. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const f of DRIVER_FAMILIES) this.unlisten(f);
    this.timers.clearAll('the hardware agent stopped');
    await this.loop;
    this.timers.clearAll('the hardware agent stopped');
    this.listeners.clear();
  }

  /** Asks for a pass as soon as possible; passes never overlap, requests during one coalesce into one more. */
  kick(): void {
    if (this.stopped || !this.started) return;
    this.queued = true;
    if (this.loop !== null) return;
    this.loop = Promise.resolve().then(async () => {
      try {
        while (this.queued && !this.stopped) {
          this.queued = false;
          await this.pass();
        }
      } finally {
        this.loop = null;
      }
    });
  }

  /** Resolves once no pass runs or waits (tests and the bench use it after moving the clock). */
  async settled(): Promise<void> {
    while (this.loop !== null) await this.loop;
  }

  onPass(listener: (r: PassReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): AgentSnapshot {
    const drivers = Object.fromEntries(
      DRIVER_FAMILIES.map((f) => {
        const s = this.health.get(f);
        return [f, { failures: s.failures, restarts: s.restarts, lastError: s.lastError }];
      }),
    ) as AgentSnapshot['drivers'];
    return {
      at: this.o.clock.now(), raid: this.lastRaid, disks: this.lastDisks, cd: this.lastCd, usb: this.lastUsb, usbUnavailable: this.usbUnavailable(), usbCds: { ...this.lastUsbCds }, post: this.lastPost, health: this.lastHealth, plan: this.lastPlan,
      applied: { ...this.applied }, drivers, passes: this.passes,
    };
  }

  /** The CD eject button: opens the tray through the CD driver, as the agent calls any driver (timed, its failures counted). */
  async ejectCd(): Promise<boolean> {
    if (!this.o.drivers.cdrom || this.stopped) return false;
    const opened = await this.call('cdrom', async () => {
      await this.driver('cdrom').openTray();
      return true;
    });
    this.kick();
    return opened === true;
  }

  /** Timers and listeners the agent holds (zero after stop). */
  get holds(): number {
    return this.timers.size + this.listeners.size + Object.keys(this.unwatch).length;
  }

  /** Makes a fresh driver of family `f` (if the box has one) and listens to it; throws what its factory throws. */
  private attach<F extends DriverFamily>(f: F): void {
    const make = this.o.drivers[f] as DriverFactory<F> | undefined;
    if (!make) return;
    this.unlisten(f);
    const driver = make();
    this.d[f] = driver;
    delete this.missing[f];
    const stop = this.listen(f);
    if (stop) this.unwatch[f] = stop;
    // The bays are the disk driver's to say; one made only at a restart (its device came back) sizes the memory then.
    const bays = f === 'disks' ? this.d.disks!.bays().length : this.memory.bays.length;
    if (bays !== this.memory.bays.length) this.memory = initialMemory(bays);
  }

  /** The families that say when they change, so the agent reacts at once rather than at the next poll. */
  private listen(f: DriverFamily): (() => void) | undefined {
    // The CD LED must light when a read starts, not at the next poll: the drive says when it changes.
    if (f === 'cdrom') return this.d.cdrom!.onChange(() => this.kick());
    // A device plugged in shows at once where the backend hears it (node-usb, the simulator).
    if (f === 'usb') return this.d.usb!.onChange(() => this.kick());
    // A boot's beeps open their ticket at once.
    if (f === 'beeps') return this.d.beeps!.onChange(() => this.kick());
    if (f !== 'raid' || this.o.subscribeEvents === false) return undefined;
    return this.d.raid!.subscribe((e) => {
      this.events.push(e);
      this.kick();
    });
  }

  private unlisten(f: DriverFamily): void {
    this.unwatch[f]?.();
    delete this.unwatch[f];
  }

  /** The driver of family `f`; throws why it could not be made, so the call counts as that driver failing. */
  private driver<F extends DriverFamily>(f: F): FamilyContracts[F] {
    const d = this.d[f];
    if (!d) throw this.missing[f] ?? new Error(`this box was given no ${FAMILY_NAMES[f]} driver`);
    return d;
  }

  private restart(f: DriverFamily): void {
    this.log.warn({ driver: f, restarts: this.health.get(f).restarts }, 'restarting a failing hardware driver');
    try {
      this.attach(f);
      if (f === 'leds') this.applied = {};
    } catch (e) {
      this.log.warn({ driver: f, err: e }, 'the driver could not be restarted');
    }
  }

  /** One guarded driver call: null when the driver is backing off, failed or hung. */
  private async call<T>(f: DriverFamily, fn: () => Promise<T>): Promise<T | null> {
    if (!this.health.due(f, this.o.clock.now())) return null;
    try {
      const v = await this.timers.within(this.o.callTimeoutMs, `the ${FAMILY_NAMES[f]} driver`, fn);
      if (this.health.get(f).failures > 0) this.log.info({ driver: f }, 'hardware driver answers again');
      this.health.ok(f);
      return v;
    } catch (e) {
      if (this.stopped) return null;
      const msg = e instanceof Error ? e.message : String(e);
      this.log.warn({ driver: f, error: msg }, 'hardware driver call failed');
      if (this.health.failed(f, this.o.clock.now(), msg)) this.restart(f);
      return null;
    }
  }

  private async pass(): Promise<void> {
    const raid = await this.call('raid', () => this.driver('raid').poll());
    const disks = await this.call('disks', () => this.driver('disks').readAll());
    const hasCd = this.o.drivers.cdrom !== undefined;
    const cd = hasCd ? await this.call('cdrom', () => this.driver('cdrom').status()) : null;
    // USB ports are optional: a backend that could not load was announced once and is not asked again.
    const listsUsb = this.o.drivers.usb !== undefined && this.usbUnavailable() === null;
    const usb = listsUsb ? await this.call('usb', () => this.driver('usb').list()) : null;
    if (this.stopped) return;
    if (usb) this.notePlugging(usb);
    if (usb) this.lastUsbCds = await this.readUsbCds(usb);
    else if (!listsUsb) this.lastUsbCds = {};
    const post = this.o.drivers.beeps ? await this.call('beeps', () => this.driver('beeps').lastPost()) : null;
    if (this.stopped) return;
    // A boot's POST stays what it was until the next boot: a missed reading keeps the last.
    if (post) this.lastPost = post;
    if (raid) this.lastRaid = raid;
    if (disks) this.lastDisks = disks;
    // A missed CD reading keeps the last tray and disc but not "busy": the LED goes dark rather than claim a read.
    this.lastCd = hasCd ? cd ?? (this.lastCd && { ...this.lastCd, busy: false }) : null;
    const now = this.o.clock.now();
    // A RAID state stays true until the next reading, so a missed one reuses the last; a missed disk
    // reading is unknown (presence then comes from the array), lest a pulled disk look present.
    const readings = { raid: this.lastRaid, disks, events: this.events.splice(0), now };
    // One CD activity LED for every drive the box reads updates from: the built-in one and any on a USB port.
    const cdBusy = (cd?.busy ?? false) || Object.values(this.lastUsbCds).some((s) => s.busy);
    const judge = () => supervise(this.memory, readings, this.health.blind(), this.o.tempMaxC ?? 55, cdBusy, this.postFinding(), this.devices());
    let v = judge();
    const blindBefore = this.health.blind().join();
    await this.applyLeds(v.leds);
    // The LEDs are driven after the verdict; if that made them blind, or they answered again, this
    // pass's tickets say so, and a panel that is back shows the verdict without them blind.
    if (this.health.blind().join() !== blindBefore) {
      v = judge();
      await this.applyLeds(v.leds);
    }
    this.memory = v.memory;
    this.lastHealth = v.health;
    this.lastPlan = v.leds;
    if (this.stopped) return;
    let tickets: ReconcileResult = { opened: [], closed: [] };
    try {
      // Only a pass that read both families may decide that a condition cleared.
      tickets = reconcile(this.o.tickets, v.tickets, raid !== null && disks !== null);
      if (tickets.opened.length || tickets.closed.length) this.log.info(tickets, 'hardware tickets changed');
    } catch (e) {
      this.log.warn({ err: e }, 'hardware tickets could not be updated');
    }
    this.passes++;
    this.schedule(v.health);
    const snapshot = this.listeners.size ? this.snapshot() : (undefined as unknown as AgentSnapshot);
    for (const l of [...this.listeners]) l({ snapshot, tickets });
  }

  /** The CD/DVD drive plugged into USB port `busPath`, as a CD drive to read; null when none is there (as of the last listing). */
  usbCdDrive(busPath: string): CdromBackend | null {
    return this.d.usb?.cdDrive?.(busPath) ?? null;
  }

  /** Each USB CD/DVD drive's tray, disc and activity; a drive that cannot say is left out, not counted as the USB driver failing. */
  private async readUsbCds(devices: UsbDevice[]): Promise<Record<string, CdStatus>> {
    const out: Record<string, CdStatus> = {};
    for (const d of devices) {
      const drive = d.kind === 'cd-dvd' ? this.usbCdDrive(d.busPath) : null;
      const st = drive ? await this.timers.within(this.o.callTimeoutMs, 'a USB CD/DVD drive', () => drive.status()).catch(() => null) : null;
      if (st) out[d.busPath] = st;
    }
    return out;
  }

  /** Why the box's USB backend could not be made (its one announcement's words), if that is why it has none. */
  private usbUnavailable(): string | null {
    const e = this.missing.usb;
    return isDriverError(e, 'DRIVER_UNAVAILABLE') ? e.message : null;
  }

  /** Logs each device plugged in or pulled out since the last listing, and what it is to the box. */
  private notePlugging(now: UsbDevice[]): void {
    const key = (d: UsbDevice) => `${d.busPath} ${d.vendorId}:${d.productId}`;
    const before = new Map((this.lastUsb ?? []).map((d) => [key(d), d]));
    const after = new Map(now.map((d) => [key(d), d]));
    // The first listing is what was plugged in before qkmd started: said as found, not as plugged.
    const verb = this.lastUsb === null ? 'found' : 'plugged in';
    for (const [k, d] of after) if (!before.has(k)) this.log.info({ usb: d }, `USB device ${verb}: ${describeUsbDevice(d)}`);
    for (const [k, d] of before) if (!after.has(k)) this.log.info({ usb: d }, `USB device unplugged: ${describeUsbDevice(d)}`);
    this.lastUsb = now;
  }

  private postFinding(): PostFinding | null {
    const p = this.lastPost;
    if (!p?.decoding.pattern) return null;
    const d = p.decoding;
    const ruled = this.o.describePost?.(d) ?? (d.pattern === POST_PASSED_PATTERN && !d.repeating ? { verdict: 'passed' as const, meaning: '', action: '' } : { verdict: 'problem' as const, ...POST_PROBLEM });
    return { boot: p.boot, at: p.at, pattern: d.pattern!, repeating: d.repeating, ...ruled };
  }

  /** The devices the drivers name (a serial board's port), so a blind ticket says which one went silent. */
  private devices(): Partial<Record<DriverFamily, string>> {
    const named: Partial<Record<DriverFamily, string>> = {};
    for (const f of DRIVER_FAMILIES) {
      const device = (this.d[f] as { deviceName?: unknown } | undefined)?.deviceName;
      if (typeof device === 'string') named[f] = device;
    }
    return named;
  }

  private async applyLeds(plan: LedPlan): Promise<void> {
    const backend = this.d.leds;
    if (!backend) {
      await this.call('leds', async () => this.driver('leds'));
      return;
    }
    const drives = new Set(backend.leds());
    if (drives.size === 0) return;
    const changes = (Object.entries(plan) as [LedId, LedState][]).filter(([led, s]) => drives.has(led) && !(this.applied[led] && sameLedState(this.applied[led]!, s)));
    if (changes.length === 0) {
      // Nothing to set says nothing about a device that can go silent by itself: ask it.
      if (backend.probe) await this.call('leds', () => backend.probe!());
      return;
    }
    await this.call('leds', async () => {
      for (const [led, s] of changes) {
        await backend.set(led, s);
        this.applied[led] = s;
      }
    });
    // After a failure the panel is in an unknown state: set every LED again next time.
    if (this.health.get('leds').failures > 0) this.applied = {};
  }

  private schedule(h: Health): void {
    this.timers.clear(this.pollTimer);
    const now = this.o.clock.now();
    const waits = [this.o.pollMs, h.nextChangeInMs, this.health.nextRetryIn(now)].filter((w): w is number => w !== null);
    this.pollTimer = this.timers.set(() => this.kick(), Math.max(1, Math.min(...waits)));
  }
}
