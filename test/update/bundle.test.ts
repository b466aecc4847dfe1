import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { KEYSTORE_SCHEMA_VERSION } from '../../src/engine/index.js';
import { UpdateError } from '../../src/errors.js';
import { MANIFEST_FILE, SIGNATURE_FILE, compareVersions, directorySource, publicKeyHex, updatePublicKey, verifyBundle } from '../../src/update/bundle/index.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { makeBundle, testUpdateKey } from '../helpers/update.js';
import { REPO } from '../helpers/worker.js';

const box = { version: '1.0.0', keystoreSchema: KEYSTORE_SCHEMA_VERSION };
const trusted = () => updatePublicKey(publicKeyHex(testUpdateKey()));
let root: string;

beforeEach(() => {
  root = tempDir('qkm-bundle-');
});
afterEach(() => removeDir(root));

/** The code and sentence a refused bundle gives, or "accepted". */
async function verdict(key = trusted(), state = box): Promise<string> {
  try {
    const b = await verifyBundle(directorySource(root), key, state);
    return `accepted ${b.manifest.version}`;
  } catch (e) {
    if (!(e instanceof UpdateError)) throw e;
    expect(e.message, 'one sentence').toMatch(/^[^\n]+\.$/);
    return `${e.code}: ${e.message}`;
  }
}

function flipByte(file: string, at: number): void {
  const b = readFileSync(file);
  b[at] = b[at]! ^ 0x01;
  writeFileSync(file, b);
}

describe('a bundle folder', () => {
  it('signed by the trusted key, every file intact, newer: accepted', async () => {
    await makeBundle(root);
    expect(await verdict()).toBe('accepted 9.0.0');
  });

  it('the embedded default trusts the committed test key, and nothing else', () => {
    expect(loadConfig({ env: {} }).update.public_key).toBe(publicKeyHex(testUpdateKey()));
    expect(loadConfig({ env: {}, configFile: path.join(REPO, 'config', 'appliance.toml') }).update.public_key).toBe('');
  });

  it('one payload byte flipped: refused naming the file', async () => {
    const folder = await makeBundle(root);
    flipByte(path.join(folder, 'qkm-9.0.0.tgz'), 50_000);
    expect(await verdict()).toMatch(/^UPDATE_FILE_ALTERED: qkm-9\.0\.0\.tgz of the update qkm-update-9\.0\.0 .* does not match the sha256/);
  });

  it('the manifest edited after signing, or signed by another key: refused as not signed by the trusted key', async () => {
    const folder = await makeBundle(root);
    const m = readFileSync(path.join(folder, MANIFEST_FILE), 'utf8');
    writeFileSync(path.join(folder, MANIFEST_FILE), m.replace('"updatesFrom": "0.0.0"', '"updatesFrom": "0.0.1"'));
    expect(await verdict()).toMatch(/^UPDATE_BAD_SIGNATURE: .* is not signed by the update key this appliance trusts/);

    rmSync(folder, { recursive: true });
    await makeBundle(root, { key: generateKeyPairSync('ed25519').privateKey });
    expect(await verdict()).toMatch(/^UPDATE_BAD_SIGNATURE:/);
  });

  it('no signature: refused as unsigned', async () => {
    const folder = await makeBundle(root);
    rmSync(path.join(folder, SIGNATURE_FILE));
    expect(await verdict()).toMatch(/^UPDATE_UNSIGNED: The update qkm-update-9\.0\.0 .* is not signed/);
  });

  it('a payload cut short or grown: refused naming the sizes', async () => {
    const folder = await makeBundle(root);
    truncateSync(path.join(folder, 'qkm-9.0.0.tgz'), 60_000);
    expect(await verdict()).toMatch(/^UPDATE_FILE_SIZE: qkm-9\.0\.0\.tgz .* is 60000 bytes, but its signed manifest says 100000/);
    writeFileSync(path.join(folder, 'qkm-9.0.0.tgz'), Buffer.alloc(100_000, 7));
    appendFileSync(path.join(folder, 'notes.txt'), 'x');
    expect(await verdict()).toMatch(/^UPDATE_FILE_SIZE: notes\.txt /);
  });

  it('a listed file missing, or a file the manifest does not list: refused', async () => {
    const folder = await makeBundle(root);
    writeFileSync(path.join(folder, 'extra.sh'), 'echo hello\n');
    expect(await verdict()).toMatch(/^UPDATE_UNLISTED_FILE: .* holds extra\.sh, which its signed manifest does not list/);
    rmSync(path.join(folder, 'extra.sh'));
    rmSync(path.join(folder, 'notes.txt'));
    expect(await verdict()).toMatch(/^UPDATE_FILE_MISSING: .* lacks notes\.txt/);
  });

  it('the folder renamed to another version: refused', async () => {
    const folder = await makeBundle(root);
    renameSync(folder, path.join(root, 'qkm-update-9.1.0'));
    expect(await verdict()).toMatch(/^UPDATE_NAME_MISMATCH: The update folder qkm-update-9\.1\.0 .* holds version 9\.0\.0/);
  });

  it('no bundle, or two: refused', async () => {
    expect(await verdict()).toMatch(/^UPDATE_NOT_A_BUNDLE: The folder .* holds no qkm update/);
    await makeBundle(root, { version: '9.0.0' });
    await makeBundle(root, { version: '9.1.0' });
    expect(await verdict()).toMatch(/^UPDATE_SEVERAL_BUNDLES: .* holds 2 qkm updates/);
  });

  it('a signed manifest naming a file outside its folder: refused', async () => {
    const folder = await makeBundle(root, { files: { 'a.tgz': 'a' } });
    const m = JSON.parse(readFileSync(path.join(folder, MANIFEST_FILE), 'utf8'));
    m.files[0].name = '../a.tgz';
    writeFileSync(path.join(folder, MANIFEST_FILE), JSON.stringify(m));
    const { signManifest } = await import('../../src/update/bundle/signature.js');
    writeFileSync(path.join(folder, SIGNATURE_FILE), signManifest(readFileSync(path.join(folder, MANIFEST_FILE)), testUpdateKey()));
    expect(await verdict()).toMatch(/^UPDATE_MANIFEST_INVALID: .* lists a payload file with an unacceptable name \("\.\.\/a\.tgz"\)/);
  });
});

describe('whether this box may take it', () => {
  it('the installed version or older: refused', async () => {
    await makeBundle(root, { version: '1.0.0' });
    expect(await verdict()).toMatch(/^UPDATE_NOT_NEWER: The update is version 1\.0\.0, not newer than the installed version 1\.0\.0/);
    rmSync(path.join(root, 'qkm-update-1.0.0'), { recursive: true });
    await makeBundle(root, { version: '0.10.0' });
    expect(await verdict(trusted(), { ...box, version: '0.9.12' })).toBe('accepted 0.10.0');
    expect(await verdict(trusted(), { ...box, version: '0.10.1' })).toMatch(/^UPDATE_NOT_NEWER:/);
  });

  it('an installed version below what the update starts from: refused', async () => {
    await makeBundle(root, { updatesFrom: '1.2.0' });
    expect(await verdict()).toMatch(/^UPDATE_FROM_TOO_OLD: Version 9\.0\.0 updates version 1\.2\.0 or later, but 1\.0\.0 is installed/);
  });

  it('a keystore schema the update cannot read: refused', async () => {
    await makeBundle(root, { reads: [KEYSTORE_SCHEMA_VERSION + 1, KEYSTORE_SCHEMA_VERSION + 2], writes: KEYSTORE_SCHEMA_VERSION + 2 });
    expect(await verdict()).toMatch(new RegExp(`^UPDATE_SCHEMA_UNREADABLE: .* but this box's keystore is at schema version ${KEYSTORE_SCHEMA_VERSION}`));
  });

  it('versions compare as numbers, not text', () => {
    expect(compareVersions('0.10.0', '0.9.9')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
    expect(() => compareVersions('1.0', '1.0.0')).toThrow(UpdateError);
  });

  it('no key configured: nothing is trusted', () => {
    expect(() => updatePublicKey('')).toThrow(/No update signing key is configured/);
  });
});
