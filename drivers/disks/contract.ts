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
