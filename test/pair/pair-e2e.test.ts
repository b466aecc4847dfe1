import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkload, verifyTapes } from '../../src/library/workload.js';
import type { SimulatedLibrary, WrittenTape } from '../../src/library/library.js';
import { createForTape, getKey, keyUsage } from '../../src/library/requests.js';
import { ResultReason, ResultStatus } from '../../src/kmip/ttlv/index.js';
import { TEST_PASSPHRASE } from '../helpers/backup-key.js';
import { qkmcmds } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { readKeystore, waitReplicated } from '../helpers/pair.js';
import { type ServerPair, expectCopiesAgree, kill, libraryConfig, openLibrary, restart, startServerPair } from '../helpers/pair-library.js';
import { qkmcmdsOk, runQkmcmds } from '../helpers/qkmd-kmip.js';

/**
 * The server pair end to end, as the manual's customers run it: two real qkmd processes
 * paired on loopback and simulated tape libraries, each configured with one bundle that
 * reaches both servers. The primary dies mid-write; the pair is partitioned and healed;
 * the primary is restored from a backup and synchronises from its peer by itself; two
 * libraries share the pair. npm test writes QKM_PAIR_E2E_TAPES tapes (200); the stress
 * run writes 5,000.
 */
const TAPES = Number(process.env.QKM_PAIR_E2E_TAPES ?? 200);
const KEYS = Math.ceil(TAPES * 1.5) + 100;

let root: string;
let pair: ServerPair;
let lib1Config: string;
let lib2Config: string;
const open: SimulatedLibrary[] = [];

async function library(config: string): Promise<SimulatedLibrary> {
  const lib = await openLibrary(config);
  open.push(lib);
  return lib;
}

function tapeKeys(config: string): string[] {
  const db = new Database(path.join(path.dirname(config), `lib-${path.basename(config, '.toml')}`, 'library.db'), { readonly: true });
  try {
    return db.prepare('SELECT key_name FROM tapes').pluck().all() as string[];
  } finally {
    db.close();
  }
}

const tickets = async (dir: string, env: Record<string, string>) =>
  (JSON.parse((await qkmcmdsOk(['--data-dir', dir, 'tickets', '--json'], env)).stdout) as { condition: string }[]).map((t) => t.condition);

beforeAll(async () => {
  root = tempDir('qkm-pair-e2e-');
  pair = await startServerPair(root, { keys: KEYS });
  // One bundle per library, each made on a different server: either reaches both.
  lib1Config = await libraryConfig(root, { library: 'LIB1', bundleFrom: pair.a, pair });
  lib2Config = await libraryConfig(root, { library: 'LIB2', bundleFrom: pair.b, pair });
}, 120_000);

afterAll(async () => {
  for (const l of open) l.close();
  await Promise.all([pair?.a.qkmd.stop(), pair?.b.qkmd.stop()]);
  removeDir(root);
});

describe('the server pair with tape libraries, end to end', () => {
  it(`one bundle reaches both servers; the primary killed mid-write: the library fails over, and all ${TAPES} tapes read back, no key on two`, async () => {
    const lib = await library(lib1Config);
    const enabled = await lib.enableEncryption('P1');
    expect(enabled.map((o) => o.ok && o.generated)).toEqual([true, true]);
    // Each set was answered only once the other server held its copy.
    for (const s of [pair.a, pair.b]) {
      expect(readKeystore(s.dir, (db) => db.prepare("SELECT origin, COUNT(*) AS n FROM keys GROUP BY origin ORDER BY origin").all())).toEqual([
        { origin: 'local', n: KEYS }, { origin: 'peer', n: KEYS },
      ]);
    }

    let killed: Promise<void> | undefined;
    let killedAt = 0;
    const r = await runWorkload(lib, {
      tapes: TAPES, drives: 4, read: false,
      onProgress: (done) => {
        if (done === Math.floor(TAPES / 3) && !killed) {
          killedAt = Date.now();
          killed = kill(pair.a);
        }
      },
    });
    await killed;
    expect(r.failures).toEqual([]);
    expect(r.written).toBe(TAPES);
    expect(r.byServer.secondary).toBeGreaterThan(0);
    expect(lib.links.currentServer.role).toBe('secondary');

    // With the primary dead, the secondary reads the primary's tapes from its copy: all but
    // those whose key the primary gave in its last moments, before replication (a poll every
    // 20 ms) told the secondary. How many that is depends on the machine's load, so the
    // bound is in time: every tape the secondary cannot read was written by the primary in
    // the last 2 s before the kill.
    const whileDown = await verifyTapes(lib);
    const unread = new Set(whileDown.failures.map((f) => f.slice(0, f.indexOf(':'))));
    const late = lib.state.tapes().filter((t) => unread.has(t.barcode));
    expect(late.map((t) => t.server)).toEqual(late.map(() => 'primary'));
    expect(late.filter((t) => t.writtenAt < killedAt - 2_000).map((t) => t.barcode)).toEqual([]);
    expect(whileDown.read).toBeGreaterThan(Math.floor(TAPES / 3));

    pair.a = await restart(pair.a);
    await Promise.all([waitReplicated(pair.a), waitReplicated(pair.b)]);
    const all = await verifyTapes(lib);
    expect(all.failures).toEqual([]);
    expect(all.read).toBe(TAPES);
    const keys = tapeKeys(lib1Config);
    expect(new Set(keys).size).toBe(TAPES);
    expectCopiesAgree(pair);
  }, 60_000 + TAPES * 100);

  it('partitioned (the peer stopped), a library\'s generation fails cleanly with the reason; healed, a retry works and the servers agree', async () => {
    await kill(pair.b);
    const lib = await library(lib2Config);
    const [onA, onB] = await lib.enableEncryption('P1');
    expect(onA).toMatchObject({ ok: false });
    expect(onA!.ok === false && onA!.why).toContain("The other key server of the pair did not store its copy of library LIB2's new keys within 3 s, so they were taken back");
    expect(onB).toMatchObject({ ok: false });
    expect(onB!.ok === false && onB!.why).toContain('did not answer');
    expect(lib.state.encrypted('P1')).toBe(false);
    // No half set: nothing of LIB2 on the primary, and a ticket there says why.
    expect(readKeystore(pair.a.dir, (db) => db.prepare("SELECT COUNT(*) FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = 'LIB2'").pluck().get())).toBe(0);
    expect(await tickets(pair.a.dir, pair.a.env)).toContain('pair-generation-failed:LIB2');

    pair.b = await restart(pair.b);
    await Promise.all([waitReplicated(pair.a), waitReplicated(pair.b)]);
    const retried = await lib.enableEncryption('P1');
    expect(retried.map((o) => o.ok && o.generated)).toEqual([true, true]);
    expect(await tickets(pair.a.dir, pair.a.env)).not.toContain('pair-generation-failed:LIB2');
    await Promise.all([waitReplicated(pair.a), waitReplicated(pair.b)]);
    expectCopiesAgree(pair);
  }, 120_000);

  it('two libraries share the pair: each sees only its own keys, on either server', async () => {
    const lib2 = await library(lib2Config);
    const written: WrittenTape[] = [];
    for (let i = 0; i < 4; i++) written.push(await lib2.writeTape('D1', `LIB2T${i}L8`));
    expect((await verifyTapes(lib2)).read).toBe(4);
    const lib1Key = tapeKeys(lib1Config)[0]!;
    for (const server of lib2.links.servers) {
      const answer = await lib2.links.on(server, 'probe', (conn) => conn.request([getKey(lib1Key)]));
      expect(answer.batchItems[0]).toMatchObject({ resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.ItemNotFound });
    }
    const lib1 = await library(lib1Config);
    for (const server of lib1.links.servers) {
      const answer = await lib1.links.on(server, 'probe', (conn) => conn.request([getKey(written[0]!.keyName)]));
      expect(answer.batchItems[0]).toMatchObject({ resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.ItemNotFound });
    }
  }, 60_000);

  it('a library certificate revoked on one server is refused by the other too, within seconds', async () => {
    const config = await libraryConfig(root, { library: 'LIBR', bundleFrom: pair.a, pair });
    const usageOnB = async (): Promise<string> => {
      const lib = await openLibrary(config);
      try {
        const answer = await lib.links.on(lib.links.servers[1]!, 'probe', (conn) => conn.request([keyUsage()]));
        return answer.batchItems[0]!.resultStatus === ResultStatus.Success ? 'served' : 'failed';
      } catch (e) {
        return (e as Error).message;
      } finally {
        lib.close();
      }
    };
    expect(await usageOnB()).toBe('served');
    await qkmcmdsOk(['--data-dir', pair.a.dir, 'certs', 'revoke', '--library', 'LIBR'], pair.a.env);
    const until = Date.now() + 20_000;
    let last = await usageOnB();
    while (last === 'served' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      last = await usageOnB();
    }
    expect(last).toContain('did not answer');
  }, 60_000);

  it('a pair made before the servers exchanged their CAs learns the peer\'s CA over the pinned link', async () => {
    const peersDir = path.join(pair.b.dir, 'pair', 'peers');
    const file = path.join(peersDir, readdirSync(peersDir)[0]!);
    const record = JSON.parse(readFileSync(file, 'utf8')) as { caPem?: string };
    const caPem = record.caPem;
    expect(caPem).toContain('BEGIN CERTIFICATE');
    delete record.caPem;
    writeFileSync(file, JSON.stringify(record));
    const until = Date.now() + 20_000;
    while ((JSON.parse(readFileSync(file, 'utf8')) as { caPem?: string }).caPem === undefined) {
      if (Date.now() > until) throw new Error("the secondary did not learn the primary's CA within 20 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((JSON.parse(readFileSync(file, 'utf8')) as { caPem?: string }).caPem).toBe(caPem);
  }, 60_000);

  it('restored from a backup, the primary asks its peer before handing out a key: refused while the peer is down, then synchronised by itself; no key reused, every tape readable', async () => {
    const { a } = pair;
    expect(qkmcmds(['--data-dir', a.dir, 'backup-key', 'init', '--passphrase'], a.env, `${TEST_PASSPHRASE}\n`).code).toBe(0);
    const backups = path.join(root, 'backups-a');
    await qkmcmdsOk(['--data-dir', a.dir, 'backup', '--to', backups], a.env);
    // After the backup: a new set (for LIB3) and tapes written through the primary.
    await qkmcmdsOk(['--data-dir', a.dir, 'keys', 'generate', '--library', 'LIB3', '--class', 'i500'], a.env);
    const lib = await library(lib1Config);
    const after: WrittenTape[] = [];
    for (let i = 0; i < 10; i++) after.push(await lib.writeTape('D1', `AFTER${i}L8`));
    expect(after.every((t) => t.server.role === 'primary')).toBe(true);
    await waitReplicated(pair.a);

    // The primary's keystore is lost; it is restored from the backup while its peer is down.
    await kill(pair.a);
    for (const name of readdirSync(a.dir).filter((n) => n.startsWith('keystore'))) rmSync(path.join(a.dir, name), { recursive: true, force: true });
    const files = readdirSync(backups);
    const restored = qkmcmds(['--data-dir', a.dir, 'restore', '--yes', path.join(backups, files.find((f) => f.startsWith('QKMApp'))!), path.join(backups, files.find((f) => f.startsWith('QKMData'))!)], a.env, `${TEST_PASSPHRASE}\n`);
    expect(restored.code, restored.stderr).toBe(0);
    await kill(pair.b);
    pair.a = await restart(pair.a);
    const refused = await lib.links.on(lib.links.servers[0]!, 'probe', (conn) => conn.request([createForTape('REFUSEDL8', 'ab'.repeat(16)), getKey()]));
    expect(refused.batchItems[0]).toMatchObject({ resultStatus: ResultStatus.OperationFailed });
    expect(refused.batchItems[0]!.resultMessage).toContain('Library LIB1 gets no new keys until it is synchronised after the keystore was restored');
    expect(await tickets(pair.a.dir, pair.a.env)).toContain('sync-needed:LIB1');

    // The peer returns: the primary synchronises in the background, with no one's help.
    pair.b = await restart(pair.b);
    const until = Date.now() + 30_000;
    while (readKeystore(pair.a.dir, (db) => db.prepare('SELECT COUNT(*) FROM libraries WHERE needs_sync = 1').pluck().get() as number) > 0) {
      if (Date.now() > until) throw new Error('the restored primary did not synchronise from its peer within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await tickets(pair.a.dir, pair.a.env)).not.toContain('sync-needed:LIB1');
    // The set made after the backup came back from the peer's copy, as the primary's own.
    const lib3 = readKeystore(pair.a.dir, (db) => db.prepare("SELECT COUNT(*) FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = 'LIB3' AND k.origin = 'local'").pluck().get());
    expect(lib3).toBe(KEYS);

    const fresh = await library(lib1Config);
    const more: WrittenTape[] = [];
    for (let i = 0; i < 10; i++) more.push(await fresh.writeTape('D2', `MORE${i}L8`));
    expect(more.every((t) => t.server.role === 'primary')).toBe(true);
    const keys = tapeKeys(lib1Config);
    expect(new Set(keys).size).toBe(keys.length);
    await Promise.all([waitReplicated(pair.a), waitReplicated(pair.b)]);
    expectCopiesAgree(pair);

    // Every tape reads back from the restored primary alone: its copy of the peer's keys came back whole.
    await kill(pair.b);
    const alone = await library(lib1Config);
    const v = await verifyTapes(alone);
    expect(v.failures).toEqual([]);
    expect(v.read).toBe(keys.length);
    expect((await runQkmcmds(['--data-dir', pair.a.dir, 'check'], pair.a.env)).stdout).toMatch(/^Keystore OK/);
    pair.b = await restart(pair.b);
  }, 120_000 + TAPES * 40);
});
