import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KEYSTORE_SCHEMA_VERSION } from '../../src/engine/index.js';
import { bundleFolderName, loadSigningKey, sealBundle } from '../../src/update/bundle/index.js';
import { REPO } from './worker.js';

/** The committed TEST signing key (its public half is the embedded default's [update] public_key). */
export const TEST_UPDATE_KEY_FILE = path.join(REPO, 'scripts', 'update-test-key', 'TEST-ONLY-update-signing-key.pem');
export const testUpdateKey = (): KeyObject => loadSigningKey(readFileSync(TEST_UPDATE_KEY_FILE));
export const BUILD_UPDATE_ISO = path.join(REPO, 'scripts', 'build-update-iso');

/** A key nobody trusts, as a PEM file in `dir` (for "signed by the wrong key"). */
export function strangerKeyFile(dir: string): string {
  const file = path.join(dir, 'stranger.pem');
  writeFileSync(file, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return file;
}

export interface TestBundle {
  version?: string;
  updatesFrom?: string;
  reads?: [number, number];
  writes?: number;
  files?: Record<string, string | Buffer>;
  key?: KeyObject;
}

/** A sealed bundle folder under `root` with small payload files; returns the folder. */
export async function makeBundle(root: string, b: TestBundle = {}): Promise<string> {
  const version = b.version ?? '9.0.0';
  const folder = path.join(root, bundleFolderName(version));
  mkdirSync(folder, { recursive: true });
  for (const [name, content] of Object.entries(b.files ?? { [`qkm-${version}.tgz`]: Buffer.alloc(100_000, 7), 'notes.txt': 'what changed\n' })) {
    writeFileSync(path.join(folder, name), content);
  }
  await sealBundle(folder, {
    version,
    updatesFrom: b.updatesFrom ?? '0.0.0',
    keystoreSchema: { reads: b.reads ?? [1, KEYSTORE_SCHEMA_VERSION], writes: b.writes ?? KEYSTORE_SCHEMA_VERSION },
    createdAt: '2026-12-04T05:00:00.000Z',
  }, b.key ?? testUpdateKey());
  return folder;
}
