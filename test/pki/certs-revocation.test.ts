import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequestMessage } from '../../src/kmip/messages/index.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import {
  connectLibrary,
  prepareLibrary,
  qkmcmdsOk,
  requestOnce,
  runQkmcmds,
  startQkmdKeyServer,
  type LibraryFiles,
  type QkmdKeyServer,
} from '../helpers/qkmd-kmip.js';
import { V, op } from '../kmip/operations-client.js';
import { normalizeSerial } from '../../src/pki/register.js';

/**
 * Revocation through real processes: qkmd serving KMIP on TLS on 127.0.0.1, qkmcmds issuing
 * and revoking library certificates while it runs, libraries connecting with the files of
 * their bundles.
 */
let dir: string;
let qkmd: QkmdKeyServer;
let a: LibraryFiles;
let b: LibraryFiles;
let secondBundleSaid: string;

const query = () => encodeRequestMessage({ header: { protocolVersion: V['1.4'], batchCount: 1 }, batchItems: [op.query(1)] });
const serialOf = (files: LibraryFiles) => normalizeSerial(new X509Certificate(readFileSync(files.cert)).serialNumber)!;
const cmd = (...args: string[]) => runQkmcmds(['--data-dir', dir, ...args]);
interface Listed { library: string | null; serial: string; issued: string | null; expires: string | null; state: string; revokedAt: string | null; registered: boolean }
const listed = async (): Promise<Listed[]> => JSON.parse((await qkmcmdsOk(['--data-dir', dir, 'certs', 'list', '--json'])).stdout) as Listed[];
const qkmdLog = () => readFileSync(join(dir, 'logs', 'qkmd.log'), 'utf8');

beforeAll(async () => {
  dir = tempDir('qkm-revoke-');
  qkmd = await startQkmdKeyServer({ dataDir: join(dir, 'data') });
  dir = join(dir, 'data');
  a = await prepareLibrary({ dataDir: dir, library: 'LIB1', dir: join(dir, '..', 'a') });
  const second = await cmd('certs', 'library-bundle', '--library', 'LIB1', '--out', join(dir, '..', 'b.tgz'));
  expect(second.code, second.stderr).toBe(0);
  secondBundleSaid = second.stdout;
  b = await prepareLibrary({ dataDir: dir, library: 'LIB1', dir: join(dir, '..', 'b') });
}, 60_000);

afterAll(async () => {
  await qkmd?.stop();
  removeDir(join(dir, '..'));
});

describe('library certificate revocation', () => {
  it('says how many valid certificates a library already has when it gets a new one', () => {
    expect(secondBundleSaid).toMatch(/Library LIB1 already has 1 other valid certificate \([0-9A-F]+\)/);
    expect(secondBundleSaid).toContain(serialOf(a));
  });

  it('lists every issued certificate per library with serial, dates and state', async () => {
    const rows = await listed();
    const serials = rows.map((r) => r.serial);
    expect(serials).toEqual(expect.arrayContaining([serialOf(a), serialOf(b)]));
    for (const r of rows) {
      expect(r).toMatchObject({ library: 'LIB1', role: 'library', state: 'valid', revokedAt: null, registered: true });
      expect(Date.parse(r.expires!)).toBeGreaterThan(Date.parse(r.issued!));
    }
    const text = (await qkmcmdsOk(['--data-dir', dir, 'certs', 'list'])).stdout;
    expect(text.split('\n')[0]).toMatch(/^LIBRARY\s+ROLE\s+SERIAL\s+ISSUED\s+EXPIRES\s+STATE$/);
    expect(text).toContain(serialOf(a));
  });

  it('refuses a revoked certificate from its next connection, without a restart, and keeps serving the others', async () => {
    expect(await requestOnce(qkmd.port, a, query())).toBe('answered');
    expect(await requestOnce(qkmd.port, b, query())).toBe('answered');
    // A library holds its connection open between tape mounts.
    const open = await connectLibrary(qkmd.port, a);
    if ('ended' in open) throw new Error(`could not connect: ${open.ended}`);
    expect('answered' in (await open.request(query()))).toBe(true);

    const logBefore = qkmdLog().length;
    const r = await cmd('certs', 'revoke', '--serial', serialOf(a).toLowerCase());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Revoked certificate ${serialOf(a)} of library LIB1`);

    expect(await requestOnce(qkmd.port, a, query())).not.toBe('answered');
    expect(await requestOnce(qkmd.port, b, query())).toBe('answered');
    // The connection opened before the revocation is closed at its next request, unanswered.
    expect(await open.request(query())).toMatchObject({ ended: expect.any(String) });
    open.close();
    expect(qkmd.child.exitCode).toBeNull();
    expect(qkmd.child.signalCode).toBeNull();

    const lines = qkmdLog().slice(logBefore).split('\n').filter((l) => l.includes(`client certificate ${serialOf(a)} of \\"LIB1\\" is revoked`));
    expect(lines.filter((l) => l.includes('refused a key server client'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('its certificate was revoked'))).toHaveLength(1);

    const rows = await listed();
    expect(rows.find((x) => x.serial === serialOf(a))).toMatchObject({ state: 'revoked', revokedAt: expect.any(String) });
    expect(rows.find((x) => x.serial === serialOf(b))).toMatchObject({ state: 'valid' });
    expect((await cmd('certs', 'revoke', '--serial', serialOf(a))).stdout).toMatch(/was already revoked/);
  });

  it('revokes a certificate that is in no register (issued before it kept copies) by serial', async () => {
    const legacy = await prepareLibrary({ dataDir: dir, library: 'LIB2', dir: join(dir, '..', 'legacy') });
    const issued = join(dir, 'tls', 'issued');
    for (const f of readdirSync(issued).filter((n) => n.startsWith('LIB2-'))) rmSync(join(issued, f));
    expect((await listed()).map((x) => x.serial)).not.toContain(serialOf(legacy));
    expect(await requestOnce(qkmd.port, legacy, query())).toBe('answered');

    const r = await cmd('certs', 'revoke', '--serial', serialOf(legacy));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/not in the register/);
    expect(await requestOnce(qkmd.port, legacy, query())).not.toBe('answered');
    expect((await listed()).find((x) => x.serial === serialOf(legacy))).toMatchObject({ state: 'revoked', registered: false, library: null });
  });

  it('revokes every certificate of a library; revocations survive a restart, and a new bundle works', async () => {
    const r = await cmd('certs', 'revoke', '--library', 'LIB1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Revoked certificate ${serialOf(b)} of library LIB1`);
    expect(await requestOnce(qkmd.port, b, query())).not.toBe('answered');

    await qkmd.stop();
    // What a killed bundle of an older version left in the TLS folder: qkmd start removes it.
    const leftover = join(dir, 'tls', '.bundle-Zk3xQ1');
    mkdirSync(leftover);
    writeFileSync(join(leftover, 'client.key'), '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n');
    qkmd = await startQkmdKeyServer({ dataDir: dir });
    expect(readdirSync(join(dir, 'tls'))).not.toContain('.bundle-Zk3xQ1');

    expect(await requestOnce(qkmd.port, a, query())).not.toBe('answered');
    expect(await requestOnce(qkmd.port, b, query())).not.toBe('answered');
    const c = await prepareLibrary({ dataDir: dir, library: 'LIB1', dir: join(dir, '..', 'c') });
    expect(await requestOnce(qkmd.port, c, query())).toBe('answered');
  });

  it('says in one sentence what is wrong with a revoke that names nothing, a bad serial, or an unknown library', async () => {
    for (const [args, said] of [
      [[], /^qkmcmds: Give either --serial SERIAL or --library NAME/],
      [['--serial', 'xyz!'], /^qkmcmds: "xyz!" is not a certificate serial/],
      [['--library', 'NOSUCH'], /^qkmcmds: The register holds no certificate of library NOSUCH/],
    ] as const) {
      const r = await cmd('certs', 'revoke', ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(said);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
