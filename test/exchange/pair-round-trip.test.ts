/**
 * Issue 15 §4's round trip between two sites that are each a real pair: site A (A1 primary,
 * A2 secondary) and site B (B1, B2), four qkmd processes on loopback, each pair with its
 * one encryption certificate. A's library writes tapes; B exports its certificate, A
 * imports it and exports the tapes' keys (from either of its servers); B imports them on
 * one server and B's library reads the tapes through that one and, once it is killed,
 * through the other, since imported keys replicate like any other change. An import while
 * the peer is down reaches it when it returns, and a key both servers imported is one key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedLibrary } from '../../src/library/library.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type PairServerProcess, readKeystore, waitReplicated } from '../helpers/pair.js';
import { type ServerPair, kill, libraryConfig, openLibrary, restart, startServerPair } from '../helpers/pair-library.js';
import { type CommandResult, runQkmcmds } from '../helpers/qkmd-kmip.js';

const TAPES = Number(process.env.QKM_PAIRS_EXCHANGE_TAPES ?? 4);
const barcodes = Array.from({ length: TAPES }, (_, i) => `PXA${String(i).padStart(3, '0')}L8`);

let root: string;
let siteA: ServerPair;
let siteB: ServerPair;
let libraryA: string;
let libraryB: string;

const at = (s: PairServerProcess, args: string[]) => runQkmcmds(['--data-dir', s.dir, ...args], s.env);

async function ok(r: Promise<CommandResult>): Promise<CommandResult> {
  const done = await r;
  expect(done.code, `${done.stderr}${done.stdout}`).toBe(0);
  return done;
}

/** A library as it is after a restart: the primary asked first. */
const library = (config: string): Promise<SimulatedLibrary> => openLibrary(config);

/** B's library reads `tapes` and says which server gave each key. */
async function readAtB(tapes: readonly string[]): Promise<string[]> {
  const lib = await library(libraryB);
  try {
    const roles: string[] = [];
    for (const t of tapes) roles.push((await lib.readTape('D1', t)).server.role);
    return roles;
  } finally {
    lib.close();
  }
}

/** The imported key of `name` on a server, as its keystore holds it (origin and object), or undefined. */
const importedCopy = (s: PairServerProcess, name: string) => readKeystore(s.dir, (db) => db.prepare(
  'SELECT k.origin, l.name AS library, o.state FROM keys k JOIN libraries l ON l.id = k.library_id LEFT JOIN objects o ON o.key_seq = k.seq WHERE k.name = ?',
).get(name)) as { origin: string; library: string; state: number } | undefined;

const keyNamesIn = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { entries: { name: string }[] }).entries.map((e) => e.name);
const senderIn = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { header: { sender: { serial: string; certificate?: string } } }).header.sender;

beforeAll(async () => {
  root = tempDir('qkm-pairs-exchange-');
  [siteA, siteB] = await Promise.all([
    startServerPair(path.join(root, 'site-a'), { keys: 20, serials: ['QKMSITA1', 'QKMSITA2'] }),
    startServerPair(path.join(root, 'site-b'), { keys: 20, serials: ['QKMSITB1', 'QKMSITB2'] }),
  ]);
  libraryA = await libraryConfig(path.join(root, 'site-a'), { library: 'LIBA', bundleFrom: siteA.a, pair: siteA, drives: 1 });
  libraryB = await libraryConfig(path.join(root, 'site-b'), { library: 'LIBB', bundleFrom: siteB.b, pair: siteB, drives: 1 });
  const lib = await library(libraryA);
  expect((await lib.enableEncryption('P1')).map((o) => o.ok)).toEqual([true, true]);
  for (const t of barcodes) await lib.writeTape('D1', t);
  // The cartridges travel to B in a box.
  const b = await library(libraryB);
  for (const t of barcodes) await b.state.recordTape(lib.state.tape(t)!);
  b.close();
  lib.close();
}, 120_000);

afterAll(async () => {
  await Promise.all([siteA, siteB].flatMap((p) => (p ? [p.a.qkmd.stop(), p.b.qkmd.stop()] : [])));
  if (root) removeDir(root);
});

describe('sharing tapes between two sites that are each a pair', () => {
  it("B imports on B1: B's library reads A's tapes through B1, and through B2 once B1 is killed", async () => {
    await ok(at(siteB.a, ['cert', 'export', '--out', path.join(root, 'site-b.pem')]));
    // A2 is down when A's administrator imports B's certificate on A1: A1 says so.
    await kill(siteA.b);
    const stored = await ok(at(siteA.a, ['cert', 'import', path.join(root, 'site-b.pem'), '--name', 'SITEB']));
    expect(stored.stdout).toMatch(/Not stored on the peer at 127\.0\.0\.1:\d+: .*cannot be reached.* A peer that was down asks this server for it the first time it exports keys to SITEB\./);
    siteA.b = await restart(siteA.b);
    const file = path.join(root, 'first.json');
    await ok(at(siteA.a, ['keys', 'export', '--cert', 'SITEB', '--tapes', barcodes[0]!, barcodes[1]!, '--out', file]));

    expect((await ok(at(siteB.a, ['keys', 'import', file, '--library', 'LIBB']))).stdout).toContain('Imported 2 key(s) for library LIBB');
    expect(await readAtB(barcodes.slice(0, 2))).toEqual(['primary', 'primary']);

    await waitReplicated(siteB.a);
    for (const name of keyNamesIn(file)) expect(importedCopy(siteB.b, name)).toMatchObject({ origin: 'registered', library: 'LIBB' });
    await kill(siteB.a);
    expect(await readAtB(barcodes.slice(0, 2))).toEqual(['secondary', 'secondary']);
    // The same file on B2 as well: it holds those keys already, as one key each.
    const again = await at(siteB.b, ['keys', 'import', file, '--library', 'LIBB']);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('None of the 2 keys')]);
    for (const name of keyNamesIn(file)) expect(readKeystore(siteB.b.dir, (db) => db.prepare('SELECT COUNT(*) FROM keys WHERE name = ?').pluck().get(name))).toBe(1);
  }, 60_000);

  it("A2, the secondary, exports with the pair's one certificate: B cannot tell which server of A made the file", async () => {
    const fromA1 = senderIn(path.join(root, 'first.json'));
    const file = path.join(root, 'from-a2.json');
    // A2 never stored SITEB: it asks A1, which imported it.
    await ok(at(siteA.b, ['keys', 'export', '--cert', 'SITEB', '--tapes', barcodes[2]!, '--out', file]));
    expect(senderIn(file).certificate).toBe(fromA1.certificate);
    const partners = await ok(at(siteA.b, ['cert', 'partners', '--json']));
    expect(JSON.parse(partners.stdout)).toEqual([expect.objectContaining({ name: 'SITEB' })]);
    // B knows A by the certificate A1 exported; a file A2 made is signed with the same one.
    await ok(at(siteA.a, ['cert', 'export', '--out', path.join(root, 'site-a.pem')]));
    await ok(at(siteB.b, ['cert', 'import', path.join(root, 'site-a.pem'), '--name', 'SITEA']));
  }, 60_000);

  it('an import at B2 while B1 is down reaches B1 when it returns', async () => {
    const file = path.join(root, 'from-a2.json');
    expect((await ok(at(siteB.b, ['keys', 'import', file, '--library', 'LIBB']))).stdout).toContain('Imported 1 key(s) for library LIBB from partner SITEA, server QKMSITA2');
    expect(await readAtB([barcodes[2]!])).toEqual(['secondary']);
    siteB.a = await restart(siteB.a);
    await waitReplicated(siteB.b);
    const [name] = keyNamesIn(file);
    expect(importedCopy(siteB.a, name!)).toMatchObject({ origin: 'registered', library: 'LIBB' });
    await kill(siteB.b);
    expect(await readAtB(barcodes.slice(0, 3))).toEqual(['primary', 'primary', 'primary']);
    siteB.b = await restart(siteB.b);
  }, 60_000);

  it('a key imported on each server while they could not talk is one key on both, and replication goes on', async () => {
    const file = path.join(root, 'twice.json');
    await ok(at(siteA.a, ['keys', 'export', '--cert', 'SITEB', '--tapes', barcodes[3]!, '--out', file]));
    await kill(siteB.b);
    await ok(at(siteB.a, ['keys', 'import', file, '--library', 'LIBB']));
    await kill(siteB.a);
    siteB.b = await restart(siteB.b);
    await ok(at(siteB.b, ['keys', 'import', file, '--library', 'LIBB']));
    siteB.a = await restart(siteB.a);
    await Promise.all([waitReplicated(siteB.a), waitReplicated(siteB.b)]);
    const [name] = keyNamesIn(file);
    for (const s of [siteB.a, siteB.b]) {
      expect(readKeystore(s.dir, (db) => db.prepare('SELECT COUNT(*) FROM keys WHERE name = ?').pluck().get(name))).toBe(1);
    }
    expect(await readAtB(barcodes)).toEqual(barcodes.map(() => 'primary'));
    await kill(siteB.a);
    expect(await readAtB(barcodes)).toEqual(barcodes.map(() => 'secondary'));
  }, 60_000);
});
