import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The two halves of a backup, as the appliance has always named them:
 *   QKMApp<SN><date><time>.tgz  - master key (sealed to the backup key since format 2) and key-related settings
 *   QKMData<SN><date><time>.tgz - the keystore database (keys, peer copies, metadata, tickets)
 * Each holds manifest.json; both carry the same random backupId, which ties the pair.
 */
export const BACKUP_FORMAT = 'qkm-backup';
/** 2: the master key is sealed to the administrator's backup key (backup-seal.ts); 1 kept it in clear. */
export const BACKUP_FORMAT_VERSION = 2;
export const MANIFEST = 'manifest.json';
export const SEALED_MASTER_KEY_FILE = 'master.key.sealed';
export const APP_FILES = [SEALED_MASTER_KEY_FILE, 'settings.json'] as const;
export const DATA_FILES = ['keystore.db'] as const;
/** Format 1's app half, still restorable: the master key in clear. */
const APP_FILES_V1 = ['master.key', 'settings.json'] as const;

export type Part = 'app' | 'data';

/** The files a half of the given format version must hold. */
export function filesOf(part: Part, formatVersion: number): readonly string[] {
  if (part === 'data') return DATA_FILES;
  return formatVersion >= 2 ? APP_FILES : APP_FILES_V1;
}

/** Every file name a half of any readable format version may hold; nothing else is unpacked. */
export const ACCEPTED_FILES: Record<Part, readonly string[]> = { app: [...new Set([...APP_FILES, ...APP_FILES_V1])], data: DATA_FILES };

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
