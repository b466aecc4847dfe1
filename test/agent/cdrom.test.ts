import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CdromBackend } from '../../drivers/cdrom/contract.js';
import { openIso, readVolumeLabel } from '../../src/update/iso9660/index.js';
import { ImageCdrom } from '../../drivers/cdrom/image.js';
import { SimCdrom } from '../../drivers/cdrom/sim.js';
import { FileRoot } from '../../drivers/file-root.js';
import { Agent } from '../../src/agent/agent.js';
import { initialMemory } from '../../src/agent/memory.js';
import { supervise } from '../../src/agent/supervisor.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { fakeIso } from '../drivers/cdrom/contract.js';
import { agentHarness } from './harness.js';
import { short, simWorld } from './world.js';

describe('supervisor: the CD activity LED', () => {
  const rows: { does: string; busy: boolean; cd: string }[] = [
    { does: 'no disc, or a disc nobody reads', busy: false, cd: 'off' },
    { does: 'the disc is being read', busy: true, cd: 'on' },
  ];
  for (const row of rows) {
    it(`${row.does}: CD activity ${row.cd}, no ticket, no server error`, async () => {
      const w = simWorld();
      const v = supervise(initialMemory(2), { raid: await w.raid.status(), disks: await w.disks.readAll(), events: [], now: w.clock.now() }, [], 55, row.busy);
      expect(short(v.leds.cdActivity)).toBe(row.cd);
      expect(short(v.leds.serverError)).toBe('off');
      expect(v.tickets).toEqual([]);
    });
  }

  it('a CD driver that cannot be read is a blind driver: a ticket and the server error LED', async () => {
    const w = simWorld();
    const v = supervise(initialMemory(2), { raid: await w.raid.status(), disks: await w.disks.readAll(), events: [], now: w.clock.now() }, ['cdrom'], 55);
    expect(short(v.leds.serverError)).toBe('on');
    expect(v.tickets.map((t) => t.condition)).toEqual(['hw:driver-blind:cdrom']);
    expect(v.tickets[0]!.text).toMatch(/cannot read the CD drive/);
  });
});

describe('the agent with a CD drive', () => {
  let h: ReturnType<typeof agentHarness> | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await h?.close();
    if (dir) removeDir(dir);
    h = dir = undefined;
  });

  it('lights the CD LED as soon as a read starts and darkens it when the read ends; leaves nothing behind', async () => {
    dir = tempDir('qkm-agent-cd-');
    const iso = path.join(dir, 'u.iso');
    await fakeIso(iso, 'QKMTEST', 128 * 1024);
    h = agentHarness({ pollMs: 3_600_000 });
    const base = h;
    const cd = new SimCdrom({ clock: h.clock, readKiBps: 64, readLabel: readVolumeLabel });
    // The harness's own agent has no CD drive; this one shares its world, panel and tickets.
    const agent = new Agent({
      drivers: { raid: () => base.raid, disks: () => base.disks, leds: () => base.leds, cdrom: () => cd },
      tickets: h.engine.tickets, clock: h.clock, pollMs: 3_600_000, callTimeoutMs: 2_000,
    });
    await agent.start();
    try {
      expect(h.panel().cdActivity).toBe('off');
      expect(agent.snapshot().cd).toEqual({ present: true, trayOpen: false, media: null, busy: false });
      await cd.insert(iso);
      await agent.settled();
      expect(agent.snapshot().cd).toMatchObject({ media: { label: 'QKMTEST', sizeBytes: 128 * 1024 }, busy: false });
      const reading = (async () => {
        for await (const _ of cd.read());
      })();
      // No clock movement: the drive's change alone causes the pass (however busy the machine is).
      await vi.waitFor(async () => {
        await agent.settled();
        expect(base.panel().cdActivity).toBe('on');
      }, { timeout: 10_000, interval: 10 });
      expect(agent.snapshot().cd?.busy).toBe(true);
      for (let i = 0; i < 25 && (await cd.status()).busy; i++) {
        h.clock.advance(100);
        await new Promise((r) => setTimeout(r, 5));
      }
      await reading;
      await agent.settled();
      expect(h.panel().cdActivity).toBe('off');
      expect(h.open()).toEqual([]);
    } finally {
      await agent.stop();
      cd.close();
    }
    expect(agent.holds).toBe(0);
  });

  it('an update read through a real backend (the image drive, the ISO reader) keeps the CD LED on until it is done', async () => {
    dir = tempDir('qkm-agent-cd-');
    await fakeIso(path.join(dir, 'update.iso'), 'QKM_2_4_0');
    h = agentHarness({ pollMs: 3_600_000 });
    const base = h;
    const cd = new ImageCdrom({ root: new FileRoot(dir), image: '/update.iso', readLabel: readVolumeLabel });
    const agent = new Agent({
      drivers: { raid: () => base.raid, disks: () => base.disks, leds: () => base.leds, cdrom: () => cd },
      tickets: h.engine.tickets, clock: h.clock, pollMs: 3_600_000, callTimeoutMs: 2_000,
    });
    await agent.start();
    try {
      expect(agent.snapshot().cd).toMatchObject({ media: { label: 'QKM_2_4_0' }, busy: false });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const verifying = cd.withImage(async (p) => {
        const img = await openIso(p).catch((e: Error) => e);
        await held;
        return img;
      });
      await vi.waitFor(async () => {
        await agent.settled();
        expect(base.panel().cdActivity).toBe('on');
      }, { timeout: 10_000, interval: 10 });
      release();
      // fakeIso holds a primary descriptor and no tree: the reader says so in one sentence.
      expect(String(await verifying)).toMatch(/is damaged: its volume descriptors have no terminator/);
      await agent.settled();
      expect(h.panel().cdActivity).toBe('off');
    } finally {
      await agent.stop();
    }
  });

  it('a CD driver that keeps failing opens the blind ticket, and it closes when the drive answers again', async () => {
    let broken = true;
    const sim = new SimCdrom({ clock: simWorld().clock, readKiBps: 3600, readLabel: readVolumeLabel });
    const flaky: CdromBackend = {
      kind: 'flaky', openTray: () => sim.openTray(), closeTray: () => sim.closeTray(), read: (o) => sim.read(o),
      withImage: (u) => sim.withImage(u), onChange: (l) => sim.onChange(l),
      status: () => (broken ? Promise.reject(new Error('sr0: no answer')) : sim.status()),
    };
    h = agentHarness({ pollMs: 10_000 });
    const base = h;
    const agent = new Agent({
      drivers: { raid: () => base.raid, disks: () => base.disks, leds: () => base.leds, cdrom: () => flaky },
      tickets: h.engine.tickets, clock: h.clock, pollMs: 10_000, callTimeoutMs: 2_000,
    });
    await agent.start();
    try {
      await h.advance(1_000);
      await agent.settled();
      await h.advance(10_000);
      await agent.settled();
      expect(h.open()).toEqual(['hw:driver-blind:cdrom']);
      expect(h.panel().serverError).toBe('on');
      broken = false;
      await h.advance(10_000);
      await agent.settled();
      await h.advance(10_000);
      await agent.settled();
      expect(h.open()).toEqual([]);
      expect(h.panel()).toMatchObject({ serverError: 'off', cdActivity: 'off' });
    } finally {
      await agent.stop();
    }
  });
});
