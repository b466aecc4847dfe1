/**
 * The simulated tape library against real qkmd processes on loopback: enabling
 * encryption (the servers generate the library's set through qkm's extension), writing
 * and reading tapes, the workload, failover when the primary is killed with SIGKILL
 * mid-workload, out of keys, the 80 % tickets of both classes, and the path diagnostics.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyServer, libraryBundle, startKeyServer, startKeyServers, writeLibraryConfig } from '../../harness/library.js';
import { PACKAGE_ROOT } from '../../src/config/config.js';
import { realWorld } from '../../src/engine/index.js';
import { loadLibraryConfig } from '../../src/library/config.js';
import { SimulatedLibrary } from '../../src/library/library.js';
import { runWorkload, verifyTapes } from '../../src/library/workload.js';
import { silentLog } from '../../src/logs/logger.js';
import { removeDir, tempDir } from '../helpers/engine.js';

const QKM_LIBRARY = path.join(PACKAGE_ROOT, 'bin', 'qkm-library.js');

function qkmLibrary(config: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [QKM_LIBRARY, '--config', config, ...args], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

let dirs: string[] = [];
let servers: KeyServer[] = [];
let libraries: SimulatedLibrary[] = [];

afterEach(async () => {
  for (const lib of libraries) lib.close();
  await Promise.all(servers.map((s) => s.process.stop()));
  for (const d of dirs) removeDir(d);
  dirs = [];
  servers = [];
  libraries = [];
});

/** Servers (their keys usable without a backup, small sets unless told), a bundle for LIB1, the library's config. */
async function setUp(o: { servers: number; cls?: 'i500' | 'i2000'; env?: Record<string, string>; drives?: string[] }) {
  const root = tempDir('qkm-library-');
  dirs.push(root);
  const env = { QKM_KEYS_REQUIRE_BACKUP: 'false', QKM_KEYS_I500: '100', QKM_KEYS_I2000: '200', ...o.env };
  servers = await startKeyServers(root, o.servers, env);
  const bundle = await libraryBundle(servers[0]!.dataDir, 'LIB1', path.join(root, 'LIB1.tgz'));
  const config = writeLibraryConfig(path.join(root, 'library.toml'), {
    cls: o.cls ?? 'i500',
    bundle,
    stateDir: path.join(root, 'library'),
    ports: servers.map((s) => s.port),
    partitions: { P1: o.drives ?? ['D1', 'D2', 'D3', 'D4'] },
  });
  return { root, env, config };
}

async function openLibrary(config: string): Promise<SimulatedLibrary> {
  const lib = await SimulatedLibrary.open(loadLibraryConfig(config), realWorld, silentLog);
  libraries.push(lib);
  return lib;
}

function openConditions(lib: SimulatedLibrary): string[] {
  return lib.state.tickets().map((t) => t.condition).sort();
}

describe('qkm-library on one key server', () => {
  it('enables encryption (the server generates the set), writes and reads tapes, and refuses a drive of a partition without encryption', async () => {
    const { config } = await setUp({ servers: 1 });
    const before = await qkmLibrary(config, ['write', '--barcode', 'ABC001L8', '--drive', 'D1']);
    expect(before.code).toBe(1);
    expect(before.stderr.trim().split('\n')).toHaveLength(1);
    expect(before.stderr).toContain('encryption is off on partition P1');

    const enabled = await qkmLibrary(config, ['enable', '--partition', 'P1']);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toContain('generated 100 keys');

    const written = await qkmLibrary(config, ['write', '--barcode', 'ABC001L8', '--drive', 'D1']);
    expect(written.code, written.stderr).toBe(0);
    const name = /with key (\S+) from/.exec(written.stdout)![1]!;
    const read = await qkmLibrary(config, ['read', '--barcode', 'ABC001L8', '--drive', 'D2']);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toContain(`read with key ${name}`);
  });

  it('runs the workload on 4 drives: every tape has its own key and reads back with the very key it was written with', async () => {
    const { config } = await setUp({ servers: 1 });
    const lib = await openLibrary(config);
    await lib.enableEncryption('P1');
    const r = await runWorkload(lib, { tapes: 40, drives: 4, read: true });
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ written: 40, read: 40, byServer: { primary: 40 } });
    const names = lib.state.tapes().map((t) => t.keyName);
    expect(new Set(names).size).toBe(40);
    // The block on each tape decrypts only under its own key: swap two tapes' keys and neither reads.
    const [a, b] = lib.state.tapes();
    await lib.state.recordTape({ ...a!, keyName: 'swap' });
    await lib.state.recordTape({ ...b!, keyName: a!.keyName });
    await lib.state.recordTape({ ...a!, keyName: b!.keyName });
    await expect(lib.state.recordTape({ ...a!, barcode: 'OTHER1L8' })).rejects.toThrow('a key must never protect two tapes');
    const v = await verifyTapes(lib);
    expect(v.read).toBe(38);
    expect(v.failures.join('\n')).toContain('does not decrypt tape');
    await expect(lib.readTape('D1', 'NOPE01L8')).rejects.toThrow('No tape NOPE01L8 was written by this library');
    expect((await lib.enableEncryption('P1'))[0]).toMatchObject({ ok: true, generated: false, keys: 60 });
  });
});

describe('qkm-library on two key servers', () => {
  it('fails over when the primary is killed mid-workload and stays on the secondary; every tape reads back once the primary is back; the secondary failing sends it back to the primary', async () => {
    const { env, config } = await setUp({ servers: 2, env: { QKM_KEYS_I500: '1024' } });
    const lib = await openLibrary(config);
    const enabled = await lib.enableEncryption('P1');
    expect(enabled.map((o) => o.ok && o.generated)).toEqual([true, true]);

    const primary = servers[0]!;
    let killed = false;
    const r = await runWorkload(lib, {
      tapes: 150,
      drives: 4,
      read: false,
      onProgress: (done) => {
        if (done === 50 && !killed) {
          killed = true;
          primary.process.child.kill('SIGKILL');
        }
      },
    });
    expect(r.failures).toEqual([]);
    expect(r.written).toBe(150);
    expect(r.byServer.primary).toBeGreaterThanOrEqual(50);
    expect(r.byServer.secondary).toBeGreaterThan(0);
    expect(openConditions(lib)).toEqual(['failover:primary']);
    expect(lib.links.currentServer.role).toBe('secondary');

    // The primary's keys are there only: with it dead, exactly the secondary's tapes read.
    await primary.process.exited;
    const whileDown = await verifyTapes(lib);
    expect(whileDown.read).toBe(r.byServer.secondary);

    // Restarted on its port: a library restarted too (a new process) asks the primary first, and every tape reads back.
    servers[0] = await startKeyServer(primary.dataDir, env, primary.port);
    const restarted = await qkmLibrary(config, ['verify']);
    expect(restarted.stdout + restarted.stderr).toContain('Read back 150 of 150 tapes.');
    expect(restarted.code).toBe(0);

    // This library still asks the secondary; when the secondary fails in turn, it goes back to the primary.
    expect(lib.links.currentServer.role).toBe('secondary');
    servers[1]!.process.child.kill('SIGKILL');
    await servers[1]!.process.exited;
    expect((await lib.writeTape('D1', 'AFTER1L8')).server.role).toBe('primary');
    expect(openConditions(lib)).toEqual(['failover:primary', 'failover:secondary']);

    const db = new Database(path.join(path.dirname(config), 'library', 'library.db'), { readonly: true });
    const distinct = db.prepare('SELECT COUNT(DISTINCT key_name) FROM tapes').pluck().get();
    db.close();
    expect(distinct).toBe(151);
  });

  it('i500: at 80 % it only reminds; a server out of keys makes the library fail over and raise the out-of-keys ticket', async () => {
    const { config } = await setUp({ servers: 2, env: { QKM_KEYS_I500: '10' } });
    const lib = await openLibrary(config);
    await lib.enableEncryption('P1');
    const from: string[] = [];
    for (let i = 0; i < 7; i++) from.push((await lib.writeTape('D1', `T0000${i}L8`)).server.role);
    expect(openConditions(lib)).toEqual([]);
    from.push((await lib.writeTape('D1', 'T00007L8')).server.role);
    expect(openConditions(lib)).toEqual(['keys-depleted:primary']);
    expect(lib.state.tickets()[0]!.text).toContain('schedule a time to generate more keys');
    for (let i = 8; i < 12; i++) from.push((await lib.writeTape('D1', `T000${String(i).padStart(2, '0')}L8`)).server.role);
    expect(from).toEqual([...Array(10).fill('primary'), 'secondary', 'secondary']);
    expect(openConditions(lib)).toEqual(['failover:primary', 'keys-depleted:primary', 'out-of-keys:primary']);
    expect(lib.state.tickets().find((t) => t.condition === 'out-of-keys:primary')!.text).toContain('generate a new set on that server now');
    // The i500 generated nothing by itself: the primary still holds its one set of 10, all used.
    expect((await lib.generateOnAll())[0]).toMatchObject({ ok: true, generated: true, keys: 10 });
  });

  it('i2000: at 80 % it generates on both servers; while one is down it raises generation-failed and tries again at each key', async () => {
    const { env, config } = await setUp({ servers: 2, cls: 'i2000', env: { QKM_KEYS_I2000: '10' } });
    const lib = await openLibrary(config);
    await lib.enableEncryption('P1');
    const secondary = servers[1]!;
    await secondary.process.stop();
    for (let i = 0; i < 9; i++) await lib.writeTape('D1', `T0000${i}L8`);
    expect(openConditions(lib)).toEqual(['generation-failed', 'keys-depleted:primary']);

    servers[1] = await startKeyServer(secondary.dataDir, env, secondary.port);
    await lib.writeTape('D1', 'T00009L8');
    expect(openConditions(lib)).toEqual(['keys-generated']);
    expect(lib.state.tickets(true).map((t) => t.condition)).toEqual(['keys-depleted:primary', 'generation-failed', 'keys-generated']);
    // Each server now has enough unused keys: the primary a second set, the secondary its first, untouched.
    const more = await lib.generateOnAll();
    expect(more.map((o) => o.ok && !o.generated && o.keys)).toEqual([10, 10]);
  });
});
