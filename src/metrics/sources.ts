/**
 * What the metrics read at scrape time, as plain values. qkmd gives functions over its
 * engine, hardware agent and boot record (src/cli/qkmd-metrics.ts); any of them may throw
 * (the keystore lent for a restore), which leaves its figures out of that scrape.
 */
export interface LibraryKeys {
  library: string;
  used: number;
  unused: number;
  pendingBackup: number;
}

export interface RaidReading {
  state: string;
  array: string | null;
  percent: number | null;
  finishSec: number | null;
}

export interface DiskReading {
  bay: number;
  present: boolean;
  serial: string | null;
  smartPassed: boolean | null;
  temperatureC: number | null;
}

export interface HardwareReading {
  raid: RaidReading;
  disks: readonly DiskReading[];
}

export interface PeerLag {
  peer: string;
  entries: number;
  seconds: number;
}

export interface SlotReading {
  active: { slot: string; version: string };
  previous: { slot: string; version: string } | null;
  trial: unknown;
  failed: { slot: string; version: string } | null;
}

export interface MetricsSources {
  keys(): readonly LibraryKeys[];
  /** When the last backup was taken (ms since the epoch), null if never. */
  lastBackupAt(): number | null;
  hardware(): HardwareReading;
  /** The open RAS tickets (hardware's and the engine's). */
  tickets(): readonly { severity: string }[];
  replication(): readonly PeerLag[];
  software(): SlotReading;
  now(): number;
}
