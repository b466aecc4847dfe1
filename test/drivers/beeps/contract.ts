import { afterEach, describe, expect, it } from 'vitest';
import type { BeepsBackend } from '../../../drivers/beeps/contract.js';

export interface BeepsHarness {
  backend: BeepsBackend;
  /** Makes the box start again with POST beeping `pattern` (the board's backend: its edges on the line). */
  boot(pattern: string): Promise<void>;
  done?(): Promise<void> | void;
}

/**
 * What every beeps backend promises (the simulator now; the serial board's backend when
 * it comes): each boot is a new reading with its own name, decoded into the tables' words,
 * announced to listeners until they unsubscribe.
 */
export function beepsContract(name: string, makeHarness: () => Promise<BeepsHarness>): void {
  describe(`beeps contract: ${name}`, () => {
    let h: BeepsHarness | undefined;
    afterEach(async () => {
      await h?.done?.();
      h = undefined;
    });

    it('each boot is a reading of its own, in the tables\' words, and listeners hear of it until they leave', async () => {
      h = await makeHarness();
      let heard = 0;
      const stop = h.backend.onChange(() => heard++);
      await h.boot('1-1-3');
      const first = await h.backend.lastPost();
      expect(first?.decoding).toMatchObject({ pattern: '1-1-3', repeating: false });
      expect(first!.decoding.confidence).toBeGreaterThan(0.5);
      expect(heard).toBeGreaterThanOrEqual(1);
      await h.boot('1 long 2 short');
      const second = await h.backend.lastPost();
      expect(second?.decoding.pattern).toBe('1 long 2 short');
      expect(second!.boot).not.toBe(first!.boot);
      stop();
      const before = heard;
      await h.boot('1');
      expect((await h.backend.lastPost())?.decoding).toMatchObject({ pattern: '1', repeating: false });
      expect(heard).toBe(before);
    });
  });
}
