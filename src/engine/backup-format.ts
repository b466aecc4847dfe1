import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The two halves of a backup, as the appliance has always named them:
 *   QKMApp<SN><date><time>.tgz  - master key and key-related settings
 *   QKMData<SN><date><time>.tgz - the keystore database (keys, peer copies, metadata, tickets)
 * Each holds manifest.json; both carry the same random backupId, which ties the pair.
 */
export const BACKUP_FORMAT = 'qkm-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const APP_FILES = ['master.key', 'settings.json'] as const;
export const DATA_FILES = ['keystore.db'] as const;

export type Part = 'app' | 'data';

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  part: Part;
  backupId: string;
  serial: string;
  createdAt: string;
  schemaVersion: number;
  files: { name: string; size: number; sha256: string }[];
  /** Data half only: what the keystore holds, so a reader can see it without opening it. */
  counts?: { keys: number; sets: number; libraries: number };
}

export function backupFileName(part: Part, serial: string, ms: number): string {
  const iso = new Date(ms).toISOString();
  const date = iso.slice(0, 10).replace(/-/g, '');
  const time = iso.slice(11, 19).replace(/:/g, '');
  return `QKM${part === 'app' ? 'App' : 'Data'}${serial}${date}${time}.tgz`;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
