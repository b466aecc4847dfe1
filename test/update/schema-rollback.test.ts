import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyUpdate } from '../../src/admin/update.js';
import { PACKAGE_ROOT } from '../../src/config/config.js';
import { readBundle } from '../../src/library/bundle.js';
import { KmipConnection } from '../../src/library/kmip-connection.js';
import { createForTape, getKey, payloadOf, readKeyMaterial, readUid } from '../../src/library/requests.js';
import { directorySource, publicKeyHex } from '../../src/update/bundle/index.js';
import { KEYSTORE_SCHEMA_VERSION } from '../../src/engine/index.js';
import { qkmcmds } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type Launched, kmipPort, launch, powerCutAll, runningVersion, until } from '../../harness/launcher.js';
import { needsTool } from '../helpers/tools.js';
import { TEST_UPDATE_KEY_FILE, makeBundle, testUpdateKey } from '../helpers/update.js';

const xorriso = needsTool('xorriso', 'xorriso', 'schema-rollback.test');
const base = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const next = `${Number(base.split('.')[0]) + 1}.0.0`;
const NEXT_SCHEMA = KEYSTORE_SCHEMA_VERSION + 1;
const ENV = { QKM_KEYS_REQUIRE_BACKUP: 'false', QKM_KEYS_I500: '64' };

let dir: string;
let nextIso: string;

/**
 * The next release as a developer would make it: this checkout with one more keystore
 * migration, additive (a column and a table the previous release does not look at), so
 * it keeps READABLE_FROM where it is. Its compiled schema gets the migration; the rest is
 * this checkout's, and scripts/build-update-iso of that copy builds its signed ISO.
 */
function nextRelease(): string {
  const checkout = path.join(dir, 'next-checkout');
  mkdirSync(path.join(checkout, 'scripts'), { recursive: true });
  for (const p of ['package.json', 'package-lock.json', 'bin', 'config', 'dist', 'scripts/build-update-iso']) {
    cpSync(path.join(PACKAGE_ROOT, p), path.join(checkout, p), { recursive: true });
  }
  symlinkSync(path.join(PACKAGE_ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
  const schema = path.join(checkout, 'dist', 'src', 'engine', 'schema.js');
  const js = readFileSync(schema, 'utf8');
  const end = '\n];\nexport const SCHEMA_VERSION = MIGRATIONS.length;';
  expect(js).toContain(end);
  const migration = '`ALTER TABLE keys ADD COLUMN wrapped_for TEXT; CREATE TABLE key_notes (key_seq INTEGER PRIMARY KEY REFERENCES keys(seq), note TEXT NOT NULL);`,';
  writeFileSync(schema, js.replace(end, `\n  ${migration}${end}`));
  const iso = path.join(dir, 'next.iso');
  const r = spawnSync(path.join(checkout, 'scripts', 'build-update-iso'), [
    '--no-build', '--key', TEST_UPDATE_KEY_FILE, '--version', next, '--out', iso,
    '--schema-reads', `1-${NEXT_SCHEMA}`, '--schema-writes', String(NEXT_SCHEMA), '--schema-readable-from', String(KEYSTORE_SCHEMA_VERSION),
  ], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return iso;
}

beforeAll(() => {
  dir = tempDir('qkm-schema-rollback-');
  if (!xorriso.skip) nextIso = nextRelease();
});
afterEach(powerCutAll);
afterAll(() => removeDir(dir));

const keystoreFacts = (dataDir: string) => {
  const db = new Database(path.join(dataDir, 'keystore', 'keystore.db'), { readonly: true, fileMustExist: true });
  try {
    return {
      schema: db.pragma('user_version', { simple: true }) as number,
      readableFrom: db.prepare("SELECT v FROM meta WHERE k = 'readable_from'").pluck().get(),
      allocated: db.prepare("SELECT name FROM keys WHERE state = 'allocated' ORDER BY name").pluck().all() as string[],
    };
  } finally {
    db.close();
  }
};

/** A library's writes: each a Create for a tape and the Get of its key, as the library sends them. */
async function writeTapes(l: Launched, creds: Awaited<ReturnType<typeof readBundle>>, tapes: string[]): Promise<Map<string, string>> {
  const server = { role: 'primary' as const, host: '127.0.0.1', port: kmipPort(l) };
  const conn = await KmipConnection.open(server, creds, 15_000);
  const got = new Map<string, string>();
  try {
    for (const tape of tapes) {
      const a = await conn.request([createForTape(tape, `KID-${tape}`), getKey()]);
      got.set(readUid(server, payloadOf(server, a.batchItems[0])), readKeyMaterial(server, payloadOf(server, a.batchItems[1])).toString('hex'));
    }
  } finally {
    conn.close();
  }
  return got;
}

async function readKeys(l: Launched, creds: Awaited<ReturnType<typeof readBundle>>, names: string[]): Promise<Map<string, string>> {
  const server = { role: 'primary' as const, host: '127.0.0.1', port: kmipPort(l) };
  const conn = await KmipConnection.open(server, creds, 15_000);
  try {
    const got = new Map<string, string>();
    for (const name of names) got.set(name, readKeyMaterial(server, payloadOf(server, (await conn.request([getKey(name)])).batchItems[0])).toString('hex'));
    return got;
  } finally {
    conn.close();
  }
}

async function stop(l: Launched): Promise<void> {
  l.child.kill('SIGTERM');
  expect(await l.exited).toBe(0);
}

describe('a release that changes the keystore schema, then a rollback', () => {
  it.skipIf(xorriso.skip)('keys and allocations made on the new version stay, on the same keystore, after the rollback', { timeout: 240_000 }, async () => {
    const dataDir = path.join(dir, 'box');
    mkdirSync(dataDir);
    const run = (...args: string[]) => {
      const r = qkmcmds(['--data-dir', dataDir, ...args], ENV);
      expect(r.stderr).toBe('');
      return r.stdout;
    };
    let l = launch(dataDir, ENV);
    await until(l, /^running;/m);
    run('keys', 'generate', '--library', 'LIB1', '--class', 'i500');
    run('certs', 'library-bundle', '--library', 'LIB1', '--out', path.join(dir, 'LIB1.tgz'));
    const lib1 = await readBundle(path.join(dir, 'LIB1.tgz'));
    const before = await writeTapes(l, lib1, ['T00001', 'T00002']);
    const live = readlinkSync(path.join(dataDir, 'keystore'));

    // The update: the launcher starts the new version, which migrates the keystore.
    expect(run('update', '--iso', nextIso)).toContain(`qkm ${next} is starting now`);
    await until(l, new RegExp(`^qkmd ${next.replaceAll('.', '\\.')}: server[\\s\\S]*is healthy and marked good`, 'm'), 120_000);
    expect(keystoreFacts(dataDir)).toMatchObject({ schema: NEXT_SCHEMA, readableFrom: String(KEYSTORE_SCHEMA_VERSION) });
    const onNew = await writeTapes(l, lib1, ['T00003', 'T00004', 'T00005']);
    // A set generated by the new version's own qkmcmds.
    const slotQkmcmds = spawnSync(process.execPath, [path.join(dataDir, 'software', 'a', 'bin', 'qkmcmds.js'), '--data-dir', dataDir, 'keys', 'generate', '--library', 'LIB2', '--class', 'i500'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...ENV } });
    expect(slotQkmcmds.stderr).toBe('');
    const allocatedOnNew = keystoreFacts(dataDir).allocated;
    expect(allocatedOnNew).toHaveLength(5);

    // The rollback: the previous version runs on the live keystore, at the newer schema.
    const mark = l.out().length;
    expect(run('rollback', '--iso', nextIso)).toContain(`Rolled back from qkm ${next} to qkm ${base}.`);
    await until(l, new RegExp(`^qkmd ${base.replaceAll('.', '\\.')}: server[\\s\\S]*^running;`, 'm'), 120_000, mark);
    expect(runningVersion(l)).toBe(base);
    expect(readlinkSync(path.join(dataDir, 'keystore'))).toBe(live);
    expect(keystoreFacts(dataDir)).toMatchObject({ schema: NEXT_SCHEMA, allocated: allocatedOnNew });
    // Every key handed out, before and during the new version, reads back the same.
    const all = new Map([...before, ...onNew]);
    expect(await readKeys(l, lib1, [...all.keys()])).toEqual(all);
    // The set the new version made is there, and the old version goes on handing out keys it never gave.
    const status = JSON.parse(run('keys', 'status', '--json')) as { library: string; total: number; used: number }[];
    expect(status.find((s) => s.library === 'LIB2')).toMatchObject({ total: 64, used: 0 });
    expect(status.find((s) => s.library === 'LIB1')).toMatchObject({ total: 64, used: 5 });
    const after = await writeTapes(l, lib1, ['T00006']);
    expect([...after.keys()].some((k) => all.has(k))).toBe(false);
    expect([...after.values()].some((m) => [...all.values()].includes(m))).toBe(false);
    await stop(l);
    expect(qkmcmds(['--data-dir', dataDir, 'check'], ENV).code).toBe(0);

    // Updating again finds the keystore as the old version left it: nothing to migrate, nothing lost.
    run('update', '--iso', nextIso);
    l = launch(dataDir, ENV);
    await until(l, /is healthy and marked good/, 120_000);
    expect(runningVersion(l)).toBe(next);
    expect(await readKeys(l, lib1, [...all.keys(), ...after.keys()])).toEqual(new Map([...all, ...after]));
    await stop(l);
  });

  it('a release whose keystore the installed version could not open after a rollback is refused, and nothing changes', async () => {
    const dataDir = path.join(dir, 'no-way-back');
    mkdirSync(dataDir);
    const folder = await makeBundle(path.join(dir, 'one-way'), { version: next, reads: [1, NEXT_SCHEMA], writes: NEXT_SCHEMA });
    await expect(applyUpdate(directorySource(path.dirname(folder)), { dataDir, baseDir: PACKAGE_ROOT, publicKey: publicKeyHex(testUpdateKey()), now: Date.now }))
      .rejects.toThrow(`Version ${next} leaves the keystore at schema version ${NEXT_SCHEMA}, which the installed version (schema ${KEYSTORE_SCHEMA_VERSION}) could not open after a rollback; install the versions in between first.`);
    expect(spawnSync('ls', [path.join(dataDir, 'software')]).status).not.toBe(0);
  });
});
