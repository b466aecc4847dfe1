import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { KeystoreError } from '../errors.js';
import { writeFileDurable } from '../util/durable-file.js';
import type { RecordKeys } from './record-crypto.js';
import type { World } from './world.js';

export const MASTER_KEY_FILE = 'master.key';
const MASTER_KEY_BYTES = 32;

/** Keys derived from the master key; each use gets its own so one never helps attack another. */
export interface MasterKeys {
  /** Encryption and MAC keys of the key records (record-crypto.ts). */
  records: RecordKeys;
  /** The AES-GCM key of records up to schema version 2; only the migration uses it. */
  legacyWrapKey: Buffer;
  /** Public check value stored in the keystore: tells a wrong master key apart from damage. */
  checkValue: string;
}

export function deriveKeys(master: Buffer): MasterKeys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return {
    records: { encKey: derive('qkm record encryption v2'), macKey: derive('qkm record mac v2') },
    legacyWrapKey: derive('qkm key wrap v1'),
    checkValue: createHmac('sha256', derive('qkm master check v1')).update('qkm').digest('hex').slice(0, 32),
  };
}

export function createMasterKey(file: string, world: World): Buffer {
  const key = world.randomBytes(MASTER_KEY_BYTES);
  writeFileDurable(file, key, 0o600);
  return key;
}

export function readMasterKey(file: string): Buffer {
  if (!existsSync(file)) {
    throw new KeystoreError('MASTER_KEY_MISSING', `The master key ${file} is missing; restore the keystore from a backup.`, { params: { file } });
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new KeystoreError('MASTER_KEY_EXPOSED', `The master key ${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it.`, { params: { file, mode: mode.toString(8) } });
  }
  const key = readFileSync(file);
  if (key.length !== MASTER_KEY_BYTES) {
    throw new KeystoreError('MASTER_KEY_DAMAGED', `The master key ${file} is damaged (${key.length} bytes, expected ${MASTER_KEY_BYTES}); restore the keystore from a backup.`, { params: { file, bytes: key.length } });
  }
  return key;
}

export function sameCheckValue(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
