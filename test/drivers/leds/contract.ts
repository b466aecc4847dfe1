import { describe, expect, it, afterEach } from 'vitest';
import type { LedBackend, LedId, LedState } from '../../../drivers/leds/contract.js';
import { isDriverError } from '../../../drivers/errors.js';

export interface LedHarness {
  backend: LedBackend;
  /** States this backend must be able to show and read back. */
  supported: LedState[];
  /** States this backend must refuse with UNSUPPORTED_STATE. */
  unsupported: LedState[];
  cleanup?: () => Promise<void>;
}

/** What every LED backend promises, whatever hardware is behind it. */
export function ledContract(name: string, makeHarness: () => Promise<LedHarness>): void {
  describe(`LED contract: ${name}`, () => {
    let h: LedHarness | undefined;
    const harness = async () => (h = await makeHarness());
    afterEach(async () => {
      await h?.cleanup?.();
      h = undefined;
    });

    it('lists the LEDs it drives', async () => {
      const { backend } = await harness();
      expect(backend.leds().length).toBeGreaterThan(0);
      expect(typeof backend.kind).toBe('string');
    });

    it('reads back every supported state it was set to, on every LED', async () => {
      const { backend, supported } = await harness();
      for (const led of backend.leds()) {
        for (const state of supported) {
          await backend.set(led, state);
          expect(await backend.get(led)).toEqual(state);
        }
      }
    });

    it('refuses states its hardware cannot show, with UNSUPPORTED_STATE', async () => {
      const { backend, unsupported } = await harness();
      const led = backend.leds()[0]!;
      for (const state of unsupported) {
        await expect(backend.set(led, state)).rejects.toSatisfy((e) => isDriverError(e, 'UNSUPPORTED_STATE'));
      }
    });

    it('refuses an LED it does not drive, with UNKNOWN_LED', async () => {
      const { backend } = await harness();
      const stranger = 'bay9.status' as LedId;
      await expect(backend.set(stranger, { state: 'on' })).rejects.toSatisfy((e) => isDriverError(e, 'UNKNOWN_LED'));
      await expect(backend.get(stranger)).rejects.toSatisfy((e) => isDriverError(e, 'UNKNOWN_LED'));
    });
  });
}
