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

/** npm test shares 4 tapes; the stress run QKM_PAIRS_EXCHANGE_TAPES (500). */
const TAPES = Math.max(4, Number(process.env.QKM_PAIRS_EXCHANGE_TAPES ?? 4));
const KEYS = Math.max(20, Math.ceil(TAPES * 1.5));
const TIMEOUT = 60_000 + TAPES * 200;
const barcodes = Array.from({ length: TAPES }, (_, i) => `PXA${String(i).padStart(4, '0')}L8`);
// Half the tapes go from A1 to B1, a quarter from A2 to B2, the rest to both of B's servers.
const half = Math.ceil(TAPES / 2);
const first = barcodes.slice(0, half);
const second = barcodes.slice(half, half + Math.ceil((TAPES - half) / 2));
const third = barcodes.slice(first.length + second.length);
const each = (tapes: readonly string[], role: string) => tapes.map(() => role);

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

/** How many of the keys `names` the server holds as imported keys of LIBB with their object. */
const importedCopies = (s: PairServerProcess, names: readonly string[]) => readKeystore(s.dir, (db) => {
  const q = db.prepare("SELECT 1 FROM keys k JOIN libraries l ON l.id = k.library_id JOIN objects o ON o.key_seq = k.seq WHERE k.name = ? AND k.origin = 'registered' AND l.name = 'LIBB'");
  return names.filter((n) => q.get(n) !== undefined).length;
});

const keyNamesIn = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { entries: { name: string }[] }).entries.map((e) => e.name);
const senderIn = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { header: { sender: { serial: string; certificate?: string } } }).header.sender;

beforeAll(async () => {
  root = tempDir('qkm-pairs-exchange-');
  [siteA, siteB] = await Promise.all([
    startServerPair(path.join(root, 'site-a'), { keys: KEYS, serials: ['QKMSITA1', 'QKMSITA2'] }),
    startServerPair(path.join(root, 'site-b'), { keys: KEYS, serials: ['QKMSITB1', 'QKMSITB2'] }),
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
}, 60_000 + TIMEOUT);

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
    expect(stored.stdout).toMatch(/Not stored on the peer at 127\.0\.0\.1:\d+ yet: .*cannot be reached.* qkmd sends it there by itself as soon as the peer answers/);
    siteA.b = await restart(siteA.b);
    const file = path.join(root, 'first.json');
    await ok(at(siteA.a, ['keys', 'export', '--cert', 'SITEB', '--tapes', ...first, '--out', file]));

    expect((await ok(at(siteB.a, ['keys', 'import', file, '--library', 'LIBB']))).stdout).toContain(`Imported ${first.length} key(s) for library LIBB`);
    expect(await readAtB(first)).toEqual(each(first, 'primary'));

    await waitReplicated(siteB.a);
    expect(importedCopies(siteB.b, keyNamesIn(file))).toBe(first.length);
    await kill(siteB.a);
    expect(await readAtB(first)).toEqual(each(first, 'secondary'));
    // The same file on B2 as well: it holds those keys already, as one key each, so that import is done.
    const again = await ok(at(siteB.b, ['keys', 'import', file, '--library', 'LIBB']));
    expect(again.stdout).toMatch(new RegExp(`^All ${first.length} key\\(s\\) of the file from .* were already held here for library LIBB`));
    expect(importedCopies(siteB.b, keyNamesIn(file))).toBe(first.length);
  }, TIMEOUT);

  it("A2, the secondary, exports with the pair's one certificate: B cannot tell which server of A made the file", async () => {
    const fromA1 = senderIn(path.join(root, 'first.json'));
    const file = path.join(root, 'from-a2.json');
    // A2 was down when SITEB was imported on A1: A1 sent it once A2 was back (else A2 would ask A1).
    await ok(at(siteA.b, ['keys', 'export', '--cert', 'SITEB', '--tapes', ...second, '--out', file]));
    expect(senderIn(file).certificate).toBe(fromA1.certificate);
    // Each pair holds its one encryption key on both servers; the two sites' differ.
    const key = (s: PairServerProcess) => readFileSync(path.join(s.dir, 'tls', 'encryption.key'), 'utf8');
    expect(key(siteA.b)).toBe(key(siteA.a));
    expect(key(siteB.b)).toBe(key(siteB.a));
    expect(key(siteA.a)).not.toBe(key(siteB.a));
    const partners = await ok(at(siteA.b, ['cert', 'partners', '--json']));
    expect(JSON.parse(partners.stdout)).toEqual([expect.objectContaining({ name: 'SITEB' })]);
    // B knows A by the certificate A1 exported; a file A2 made is signed with the same one.
    await ok(at(siteA.a, ['cert', 'export', '--out', path.join(root, 'site-a.pem')]));
    await ok(at(siteB.b, ['cert', 'import', path.join(root, 'site-a.pem'), '--name', 'SITEA']));
  }, TIMEOUT);

  it('an import at B2 while B1 is down reaches B1 when it returns', async () => {
    const file = path.join(root, 'from-a2.json');
    expect((await ok(at(siteB.b, ['keys', 'import', file, '--library', 'LIBB']))).stdout).toContain(`Imported ${second.length} key(s) for library LIBB from partner SITEA, server QKMSITA2`);
    expect(await readAtB(second)).toEqual(each(second, 'secondary'));
    siteB.a = await restart(siteB.a);
    await waitReplicated(siteB.b);
    expect(importedCopies(siteB.a, keyNamesIn(file))).toBe(second.length);
    await kill(siteB.b);
    expect(await readAtB([...first, ...second])).toEqual(each([...first, ...second], 'primary'));
    siteB.b = await restart(siteB.b);
  }, TIMEOUT);

  it('a key imported on each server while they could not talk is one key on both, and replication goes on', async () => {
    const file = path.join(root, 'twice.json');
    await ok(at(siteA.a, ['keys', 'export', '--cert', 'SITEB', '--tapes', ...third, '--out', file]));
    await kill(siteB.b);
    await ok(at(siteB.a, ['keys', 'import', file, '--library', 'LIBB']));
    await kill(siteB.a);
    siteB.b = await restart(siteB.b);
    await ok(at(siteB.b, ['keys', 'import', file, '--library', 'LIBB']));
    siteB.a = await restart(siteB.a);
    // Each applies the other's entry for a key it holds already without refusing the
    // peer's journal: both acknowledge to the end, and either gives the key.
    await Promise.all([waitReplicated(siteB.a), waitReplicated(siteB.b)]);
    for (const s of [siteB.a, siteB.b]) expect(importedCopies(s, keyNamesIn(file))).toBe(third.length);
    expect(await readAtB(barcodes)).toEqual(each(barcodes, 'primary'));
    await kill(siteB.a);
    expect(await readAtB(barcodes)).toEqual(each(barcodes, 'secondary'));
  }, TIMEOUT);
});
