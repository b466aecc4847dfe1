/**
 * The disks family: what is in each front bay and how healthy it is.
 * Backends: smartctl's JSON output (ATA and SAS/SCSI disks) and the simulator.
 */

export interface DiskInfo {
  bay: number;
  /** False for an empty bay (or a disk the system can no longer open). */
  present: boolean;
  model: string | null;
  serial: string | null;
  protocol: 'ATA' | 'SCSI' | 'NVMe' | null;
  /** SMART overall health: true passed, false failing, null unknown. */
  smartPassed: boolean | null;
  temperatureC: number | null;
  /** ATA attribute 5 (Reallocated_Sector_Ct) raw value. */
  reallocatedSectors: number | null;
  /** SAS/SCSI grown defect list length. */
  grownDefects: number | null;
  powerOnHours: number | null;
  /** The wear and error figures smartctl reports beyond the verdict (absent from backends that read none). */
  smart?: SmartFigures;
}

/** SMART figures that foretell a failure; null when the disk does not report that figure. */
export interface SmartFigures {
  /** ATA 197 Current_Pending_Sector raw value. */
  pendingSectors: number | null;
  /** ATA 198 Offline_Uncorrectable raw value. */
  offlineUncorrectable: number | null;
  /** ATA attributes whose normalised value crossed its threshold: `when_failed` "now" or "past". */
  failedAttributes: { id: number; name: string; whenFailed: string }[];
  /** NVMe critical warning bit field (0 when all is well). */
  nvmeCriticalWarning: number | null;
  nvmeMediaErrors: number | null;
  /** NVMe percentage of rated endurance used (may exceed 100). */
  nvmePercentageUsed: number | null;
  nvmeAvailableSpare: number | null;
  nvmeAvailableSpareThreshold: number | null;
}

export interface DiskBackend {
  readonly kind: string;
  /** The bays this backend knows, in order. */
  bays(): readonly number[];
  /** Reads one bay. An empty bay is `present: false`, not an error. */
  read(bay: number): Promise<DiskInfo>;
  readAll(): Promise<DiskInfo[]>;
}

export function emptyBay(bay: number): DiskInfo {
  return {
    bay,
    present: false,
    model: null,
    serial: null,
    protocol: null,
    smartPassed: null,
    temperatureC: null,
    reallocatedSectors: null,
    grownDefects: null,
    powerOnHours: null,
  };
}
