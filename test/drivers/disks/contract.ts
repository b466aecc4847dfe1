import { describe, expect, it } from 'vitest';
import type { DiskBackend } from '../../../drivers/disks/contract.js';
import { isDriverError } from '../../../drivers/errors.js';

export type BayCondition = 'healthy' | 'failing' | 'empty';

export interface DiskHarness {
  backend: DiskBackend;
  /** Puts the world in the condition asked for, for one bay. */
  set(bay: number, condition: BayCondition): Promise<void>;
}

/** What every disk backend promises. */
export function diskContract(name: string, makeHarness: () => Promise<DiskHarness>): void {
  describe(`disk contract: ${name}`, () => {
    it('reads every bay it knows, in order', async () => {
      const { backend, set } = await makeHarness();
      for (const bay of backend.bays()) await set(bay, 'healthy');
      const all = await backend.readAll();
      expect(all.map((d) => d.bay)).toEqual([...backend.bays()]);
      for (const d of all) {
        expect(d.present).toBe(true);
        expect(d.serial).toEqual(expect.any(String));
        expect(d.model).toEqual(expect.any(String));
        expect(d.smartPassed).toBe(true);
      }
    });

    it('tells a failing disk by its SMART verdict', async () => {
      const { backend, set } = await makeHarness();
      const bay = backend.bays()[0]!;
      await set(bay, 'failing');
      expect(await backend.read(bay)).toMatchObject({ bay, present: true, smartPassed: false });
    });

    it('reports an empty bay as not present, not as an error', async () => {
      const { backend, set } = await makeHarness();
      const bay = backend.bays().at(-1)!;
      await set(bay, 'empty');
      expect(await backend.read(bay)).toEqual({
        bay, present: false, model: null, serial: null, protocol: null, smartPassed: null,
        temperatureC: null, reallocatedSectors: null, grownDefects: null, powerOnHours: null,
      });
    });

    it('refuses a bay it does not know with UNKNOWN_BAY', async () => {
      const { backend } = await makeHarness();
      await expect(backend.read(7)).rejects.toSatisfy((e) => isDriverError(e, 'UNKNOWN_BAY'));
    });
  });
}
