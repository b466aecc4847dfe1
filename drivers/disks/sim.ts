import type { SimBays } from '../sim/bays.js';
import { emptyBay, type DiskBackend, type DiskInfo } from './contract.js';

/** Disks as the simulated bays hold them; a failed or faulty disk reports SMART failing. */
export class SimDisks implements DiskBackend {
  readonly kind = 'sim';

  constructor(private readonly world: SimBays) {}

  bays(): readonly number[] {
    return Array.from({ length: this.world.count }, (_, i) => i);
  }

  async read(bay: number): Promise<DiskInfo> {
    const d = this.world.disk(bay);
    if (!d) return emptyBay(bay);
    const s = d.spec;
    return {
      bay,
      present: true,
      model: s.model,
      serial: s.serial,
      protocol: s.protocol,
      smartPassed: s.smartPassed && !d.failed && !s.faulty,
      temperatureC: s.temperatureC,
      reallocatedSectors: s.protocol === 'ATA' ? s.reallocatedSectors : null,
      grownDefects: s.protocol === 'SCSI' ? s.reallocatedSectors : null,
      powerOnHours: s.powerOnHours,
    };
  }

  async readAll(): Promise<DiskInfo[]> {
    return Promise.all(this.bays().map((b) => this.read(b)));
  }
}
