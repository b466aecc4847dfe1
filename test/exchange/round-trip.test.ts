/**
 * Issue 15 §4: sharing encrypted tapes with another site, with real processes. Two
 * independent key managers (sites A and B, each its own qkmd, data directory and CA); a
 * library at A writes tapes over KMIP; B exports its encryption certificate, A imports it
 * and exports the keys of some tapes wrapped for it; the cartridges travel to B's library,
 * which reads them once B imported the file, by the keys' names. Then the bad files: a
 * changed header, a damaged entry (partial import, Import Warning Log, ticket), the wrong
 * recipient, duplicates, and the certificates that must be refused.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyServer, libraryBundle, startKeyServer, writeLibraryConfig } from '../../harness/library.js';
import { PACKAGE_ROOT } from '../../src/config/config.js';
import { realWorld } from '../../src/engine/index.js';
import { LibraryState } from '../../src/library/state.js';
import { issueEncryptionCertificate } from '../../src/pki/authority.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type CommandResult, runQkmcmds } from '../helpers/qkmd-kmip.js';

const QKM_LIBRARY = path.join(PACKAGE_ROOT, 'bin', 'qkm-library.js');
const ENV = { QKM_KEYS_REQUIRE_BACKUP: 'false', QKM_KEYS_I500: '20' };

function qkmLibrary(config: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [QKM_LIBRARY, '--config', config, ...args], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

let root: string;
let a: KeyServer;
let b: KeyServer;
let libraryA: string;
let libraryB: string;

const at = (server: KeyServer, args: string[]) => runQkmcmds(['--data-dir', server.dataDir, ...args], ENV);

/** Exit status 0, or a failure that shows what was said. */
async function ok(r: Promise<CommandResult>): Promise<CommandResult> {
  const done = await r;
  expect(done.code, `${done.stderr}${done.stdout}`).toBe(0);
  return done;
}

/** Exit status 1 and one sentence on stderr, returned. */
async function refused(r: Promise<CommandResult>): Promise<string> {
  const done = await r;
  expect(done.code, done.stdout).toBe(1);
  const lines = done.stderr.trim().split('\n');
  expect(lines, done.stderr).toHaveLength(1);
  return lines[0]!;
}

/** The cartridges travel: their records move from A's library to B's, as a box of tapes would. */
async function carryTapes(barcodes: string[]): Promise<void> {
  const from = LibraryState.open(path.join(root, 'library-a'), realWorld);
  const to = LibraryState.open(path.join(root, 'library-b'), realWorld);
  try {
    for (const bc of barcodes) await to.recordTape(from.tape(bc)!);
  } finally {
    from.close();
    to.close();
  }
}

const importedKeys = async (server: KeyServer, library: string) => {
  const r = await ok(at(server, ['keys', 'status', '--json']));
  return (JSON.parse(r.stdout) as { library: string }[]).some((l) => l.library === library);
};

beforeAll(async () => {
  root = tempDir('qkm-exchange-');
  // Two sites: each server makes its own CA on its first start.
  [a, b] = await Promise.all([startKeyServer(path.join(root, 'a'), ENV), startKeyServer(path.join(root, 'b'), ENV)]);
  const config = (name: string, server: KeyServer, bundle: string) => writeLibraryConfig(path.join(root, `${name}.toml`), {
    cls: 'i500', bundle, stateDir: path.join(root, name), ports: [server.port], partitions: { P1: ['D1', 'D2'] },
  });
  libraryA = config('library-a', a, await libraryBundle(a.dataDir, 'LIBA', path.join(root, 'LIBA.tgz')));
  libraryB = config('library-b', b, await libraryBundle(b.dataDir, 'LIBB', path.join(root, 'LIBB.tgz')));
  await ok(qkmLibrary(libraryA, ['enable', '--partition', 'P1']));
  for (const tape of ['EXA001L8', 'EXA002L8', 'EXA003L8']) await ok(qkmLibrary(libraryA, ['write', '--barcode', tape, '--drive', 'D1']));
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.process.stop(), b?.process.stop()]);
  if (root) removeDir(root);
});

describe('sharing encrypted tapes between two sites', () => {
  it("B's library reads A's tapes once B imported the keys A exported for B's certificate, and only those", async () => {
    await ok(at(b, ['cert', 'export', '--out', path.join(root, 'b.pem')]));
    const stored = await ok(at(a, ['cert', 'import', path.join(root, 'b.pem'), '--name', 'SITEB']));
    expect(stored.stdout).toContain('Stored the encryption certificate of partner SITEB');

    const exported = await ok(at(a, ['keys', 'export', '--cert', 'SITEB', '--tapes', 'EXA001L8', 'EXA002L8', '--out', path.join(root, 'keys.json')]));
    expect(exported.stdout).toContain('2 key(s) wrapped for partner SITEB');
    const file = readFileSync(path.join(root, 'keys.json'), 'utf8');
    // The keys travel wrapped: neither the material nor anything like it is in clear.
    expect(file).not.toMatch(/"material"/);

    await carryTapes(['EXA001L8', 'EXA002L8', 'EXA003L8']);
    const before = await qkmLibrary(libraryB, ['read', '--barcode', 'EXA001L8', '--drive', 'D1']);
    expect(before.code).toBe(1);

    const imported = await ok(at(b, ['keys', 'import', path.join(root, 'keys.json'), '--library', 'LIBB']));
    expect(imported.stdout).toContain('Imported 2 key(s) for library LIBB');
    expect(imported.stdout).toContain('an unknown sender');
    for (const tape of ['EXA001L8', 'EXA002L8']) await ok(qkmLibrary(libraryB, ['read', '--barcode', tape, '--drive', 'D2']));
    // The third tape's key was not sent: it stays unreadable at B.
    expect((await qkmLibrary(libraryB, ['read', '--barcode', 'EXA003L8', '--drive', 'D1'])).code).toBe(1);
    // Imported keys are never handed out: B's library still has no key set to write with.
    expect((await qkmLibrary(libraryB, ['write', '--barcode', 'EXB001L8', '--drive', 'D1'])).code).toBe(1);
    expect(await importedKeys(b, 'LIBB')).toBe(true);

    // The same file again: those keys are held already, so that import is done (exit 0), with no warning.
    const again = await ok(at(b, ['keys', 'import', path.join(root, 'keys.json'), '--library', 'LIBB']));
    expect(again.stdout).toContain('All 2 key(s) of the file from an unknown sender, server');
    expect(again.stdout).toContain('were already held here for library LIBB');
    expect(existsSync(path.join(b.dataDir, 'logs', 'key-import-warnings.log'))).toBe(false);
    // For another library it is no such thing: each key is held for LIBB, and the log says so.
    const elsewhere = await refused(at(b, ['keys', 'import', path.join(root, 'keys.json'), '--library', 'LIBC']));
    expect(elsewhere).toContain('None of the 2 keys');
    expect(readFileSync(path.join(b.dataDir, 'logs', 'key-import-warnings.log'), 'utf8')).toMatch(/duplicate name \(this keystore already holds that key, for library LIBB\)/);
  }, 120_000);

  it('a damaged entry: the good keys are imported, the damaged one is listed in the Import Warning Log, and a ticket points there', async () => {
    await ok(at(a, ['keys', 'export', '--cert', 'SITEB', '--tapes', 'EXA003L8', 'EXA001L8', '--out', path.join(root, 'damaged.json')]));
    const f = JSON.parse(readFileSync(path.join(root, 'damaged.json'), 'utf8')) as { entries: { barcode: string; name: string }[] };
    const damagedName = f.entries[1]!.name;
    f.entries[1]!.barcode = 'EXA999L8';
    writeFileSync(path.join(root, 'damaged.json'), JSON.stringify(f, null, 2));

    const r = await ok(at(b, ['keys', 'import', path.join(root, 'damaged.json'), '--library', 'LIBB']));
    expect(r.stdout).toContain('Imported 1 key(s)');
    expect(r.stdout).toMatch(/Import warning: 1 key\(s\) were not imported; the Import Warning Log .*key-import-warnings\.log lists each with the reason \(ticket \d+\)/);
    const log = readFileSync(path.join(b.dataDir, 'logs', 'key-import-warnings.log'), 'utf8');
    expect(log).toContain(`key ${damagedName} not imported: corrupt entry`);
    const tickets = await ok(at(b, ['tickets']));
    expect(tickets.stdout).toContain('key-import-warning');
    expect(tickets.stdout).toContain('Import Warning Log');
    await ok(qkmLibrary(libraryB, ['read', '--barcode', 'EXA003L8', '--drive', 'D1']));

    // Reading the log is what the ticket asks: it is closed then.
    const read = await ok(at(b, ['keys', 'import-warnings']));
    expect(read.stdout).toContain(`key ${damagedName} not imported: corrupt entry`);
    expect(read.stdout).toContain('1 ticket(s) pointing to this log are now closed.');
    expect((await ok(at(b, ['tickets']))).stdout).not.toContain('key-import-warning');
  }, 60_000);

  it('a file whose header was changed, made for another server, or not a key file at all is refused whole in one sentence', async () => {
    const good = JSON.parse(readFileSync(path.join(root, 'keys.json'), 'utf8')) as { header: { recipient: { name: string } } };
    good.header.recipient.name = 'SOMEONE';
    writeFileSync(path.join(root, 'tampered.json'), JSON.stringify(good));
    expect(await refused(at(b, ['keys', 'import', path.join(root, 'tampered.json'), '--library', 'LIBB']))).toContain('was changed after it was made');

    // A's own server is not the recipient of a file made for B.
    await ok(at(a, ['cert', 'export', '--out', path.join(root, 'a.pem')]));
    expect(await refused(at(a, ['keys', 'import', path.join(root, 'keys.json'), '--library', 'LIBA']))).toMatch(/was made for the encryption certificate .* not for this server's/);

    writeFileSync(path.join(root, 'garbage.json'), 'PK\u0003\u0004 not json');
    expect(await refused(at(b, ['keys', 'import', path.join(root, 'garbage.json'), '--library', 'LIBB']))).toContain('is not a file of keys exported by a key manager');
    expect(await refused(at(b, ['keys', 'import', path.join(root, 'missing.json'), '--library', 'LIBB']))).toContain('Cannot read');
  }, 60_000);

  it('refuses an expired, a non-RSA and a too-short partner certificate, an unknown partner and an unused key, one sentence each', async () => {
    const old = issueEncryptionCertificate({ now: new Date(Date.UTC(2000, 0, 1)), serial: 'OLD0001', validityDays: 30 });
    writeFileSync(path.join(root, 'expired.pem'), old.certPem);
    expect(await refused(at(a, ['cert', 'import', path.join(root, 'expired.pem'), '--name', 'OLD']))).toContain('expired on 2000-01-31');
    const ec = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'exchange', 'ec-certificate.pem');
    expect(await refused(at(a, ['cert', 'import', ec, '--name', 'EC']))).toContain('has a EC key, but keys are wrapped with RSA only');
    const short = issueEncryptionCertificate({ now: new Date(), serial: 'SHORT01', keyBits: 2048 });
    writeFileSync(path.join(root, 'short.pem'), short.certPem);
    expect(await refused(at(a, ['cert', 'import', path.join(root, 'short.pem'), '--name', 'SHORT']))).toContain('has a 2048-bit RSA key, shorter than the 3072 bits');
    expect(await refused(at(a, ['cert', 'import', path.join(root, 'a.pem'), '--name', 'SELF']))).toContain("this server's own encryption certificate");
    const partners = await ok(at(a, ['cert', 'partners', '--json']));
    expect((JSON.parse(partners.stdout) as { name: string }[]).map((p) => p.name)).toEqual(['SITEB']);

    expect(await refused(at(a, ['keys', 'export', '--cert', 'NOBODY', '--tapes', 'EXA001L8', '--out', path.join(root, 'x.json')]))).toContain('No partner named NOBODY');
    const sent = (JSON.parse(readFileSync(path.join(root, 'keys.json'), 'utf8')) as { entries: { name: string }[] }).entries[0]!.name;
    // The last key of LIBA's set of 20 was never handed to a tape: sharing it would let the partner read a tape not yet written.
    const unused = sent.replace(/-\d{6}$/, '-000019');
    expect(await refused(at(a, ['keys', 'export', '--cert', 'SITEB', '--keys', unused, '--out', path.join(root, 'x.json')]))).toContain('was never handed to a tape');
    expect(await refused(at(a, ['keys', 'export', '--cert', 'SITEB', '--out', path.join(root, 'x.json')]))).toContain('Give either --keys');
    expect(existsSync(path.join(root, 'x.json'))).toBe(false);
  }, 60_000);
});
