import { describe, expect, it, afterEach } from 'vitest';
import type { ArrayState, RaidBackend, RaidEvent } from '../../../drivers/raid/contract.js';

export type ShowableState = Extract<ArrayState, 'clean' | 'degraded' | 'recovering'>;

export interface RaidHarness {
  backend: RaidBackend;
  /** Moves the world (files, recorded output, simulated disks) to show `state`. */
  show(state: ShowableState): Promise<void>;
  /** The states this harness can show, in the order a disk replacement passes them. */
  states: ShowableState[];
  cleanup?: () => Promise<void>;
}

/** What every RAID backend promises, whatever reads the array. */
export function raidContract(name: string, makeHarness: () => Promise<RaidHarness>): void {
  describe(`RAID contract: ${name}`, () => {
    let h: RaidHarness | undefined;
    const harness = async () => (h = await makeHarness());
    afterEach(async () => {
      await h?.backend.close();
      await h?.cleanup?.();
      h = undefined;
    });

    it('reads a clean array: every slot in sync, no progress', async () => {
      const { backend, show } = await harness();
      await show('clean');
      const s = await backend.status();
      expect(s.state).toBe('clean');
      expect(s.devicesInSync).toBe(s.devicesTotal);
      expect(s.percent).toBeNull();
      expect(s.members.filter((m) => m.state === 'active')).toHaveLength(s.devicesTotal);
    });

    it('reads each state it can show, with consistent members and progress', async () => {
      const { backend, show, states } = await harness();
      for (const state of states) {
        await show(state);
        const s = await backend.status();
        expect(s.state).toBe(state);
        expect(s.members.length).toBeGreaterThan(0);
        if (state === 'degraded') expect(s.devicesInSync).toBeLessThan(s.devicesTotal);
        if (state === 'recovering') {
          expect(s.members.some((m) => m.state === 'rebuilding')).toBe(true);
          if (s.percent !== null) expect(s.percent).toBeGreaterThanOrEqual(0);
          if (s.percent !== null) expect(s.percent).toBeLessThan(100);
        } else {
          expect(s.percent).toBeNull();
        }
      }
    });

    it('explains a replacement as events: rebuild started, then finished', async () => {
      const { backend, show, states } = await harness();
      const events: RaidEvent[] = [];
      backend.subscribe((e) => events.push(e));
      await show('clean');
      await backend.poll();
      for (const state of states.filter((s) => s !== 'clean')) {
        await show(state);
        await backend.poll();
      }
      await show('clean');
      await backend.poll();
      const types = events.map((e) => e.type);
      if (states.includes('degraded')) expect(types).toContain('array-degraded');
      expect(types).toContain('rebuild-started');
      expect(types).toContain('rebuild-finished');
      expect(types.indexOf('rebuild-started')).toBeLessThan(types.lastIndexOf('rebuild-finished'));
    });

    it('stops telling a listener once it unsubscribes', async () => {
      const { backend, show, states } = await harness();
      const events: RaidEvent[] = [];
      const stop = backend.subscribe((e) => events.push(e));
      await show('clean');
      await backend.poll();
      stop();
      await show(states.find((s) => s !== 'clean')!);
      await backend.poll();
      expect(events).toEqual([]);
    });
  });
}
