import type { DiskInfo } from '../../drivers/disks/contract.js';

// NVMe critical warning bits (NVMe base specification, SMART / Health Information log, byte 0).
const NVME_WARNING_BITS: readonly [number, string][] = [
  [0x01, 'spare capacity below threshold'],
  [0x02, 'temperature out of range'],
  [0x04, 'reliability degraded by media or internal errors'],
  [0x08, 'media placed in read-only mode'],
  [0x10, 'volatile memory backup failed'],
  [0x20, 'persistent memory region read-only'],
];

/**
 * The figures that say a disk is wearing out or losing sectors, each in words that
 * name the figure, for its ticket. Any sector reallocated, pending or uncorrectable
 * counts: on a two-disk mirror holding keys, the first bad sectors are the time to
 * plan a replacement, not the tenth thousand.
 */
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function diskConcerns(d: DiskInfo): string[] {
  if (!d.present) return [];
  const out: string[] = [];
  const s = d.smart;
  if (d.reallocatedSectors) out.push(`${count(d.reallocatedSectors, 'reallocated sector', 'reallocated sectors')} (SMART attribute 5)`);
  if (s?.pendingSectors) out.push(`${count(s.pendingSectors, 'sector', 'sectors')} pending reallocation (SMART attribute 197)`);
  if (s?.offlineUncorrectable) out.push(`${count(s.offlineUncorrectable, 'uncorrectable sector', 'uncorrectable sectors')} (SMART attribute 198)`);
  for (const a of s?.failedAttributes ?? []) {
    out.push(`SMART attribute ${a.id} ${a.name} ${a.whenFailed === 'now' ? 'is below its threshold now' : `crossed its threshold (${a.whenFailed})`}`);
  }
  if (s?.nvmeCriticalWarning) {
    const bits = NVME_WARNING_BITS.filter(([bit]) => s.nvmeCriticalWarning! & bit).map(([, words]) => words);
    out.push(`NVMe critical warning 0x${s.nvmeCriticalWarning.toString(16).padStart(2, '0')}${bits.length ? ` (${bits.join(', ')})` : ''}`);
  }
  if (s?.nvmeMediaErrors) out.push(count(s.nvmeMediaErrors, 'NVMe media error', 'NVMe media errors'));
  if (s?.nvmePercentageUsed !== null && s?.nvmePercentageUsed !== undefined && s.nvmePercentageUsed >= 100) {
    out.push(`${s.nvmePercentageUsed} % of its rated endurance used`);
  }
  if (s && s.nvmeAvailableSpare !== null && s.nvmeAvailableSpareThreshold !== null && s.nvmeAvailableSpare < s.nvmeAvailableSpareThreshold) {
    out.push(`available spare ${s.nvmeAvailableSpare} %, below its threshold of ${s.nvmeAvailableSpareThreshold} %`);
  }
  if (d.grownDefects) out.push(`${count(d.grownDefects, 'grown defect', 'grown defects')} (SCSI grown defect list)`);
  return out;
}
