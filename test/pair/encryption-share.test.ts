import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueEncryptionCertificate } from '../../src/pki/authority.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type PairServerProcess, pairUp, startPairedIn } from '../helpers/pair.js';
import { runQkmcmds } from '../helpers/qkmd-kmip.js';

/**
 * Issue 15 §4: one encryption certificate per server pair. Two real qkmd processes made a
 * pair; the second server to need the certificate gets the pair's (with its key) from its
 * peer over the pair link, so a key file a partner made for the pair opens on either.
 */
let root: string;
let a: PairServerProcess;
let b: PairServerProcess;

const exportCert = (s: PairServerProcess, peer: string, out: string) =>
  runQkmcmds(['--data-dir', s.dir, 'cert', 'export', '--out', path.join(root, out)], { ...s.env, QKM_PAIR_PEER: peer });
const fingerprintIn = (stdout: string) => /fingerprint (\S+),/.exec(stdout)?.[1];

beforeAll(async () => {
  root = tempDir('qkm-pair-encryption-');
  [a, b] = await Promise.all([startPairedIn(root, 'a', { role: 'primary', serial: 'QKMENCA1' }), startPairedIn(root, 'b', { role: 'secondary', serial: 'QKMENCB1' })]);
  await pairUp(a, b);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.qkmd.stop(), b?.qkmd.stop()]);
  if (root) removeDir(root);
});

describe("the pair's encryption certificate", () => {
  it('is made once: the second server gets it, with its key, from its peer over the pair link', async () => {
    const fromB = await exportCert(b, a.address, 'b.pem');
    expect(fromB.code, fromB.stderr).toBe(0);
    const fromA = await exportCert(a, b.address, 'a.pem');
    expect(fromA.code, fromA.stderr).toBe(0);
    expect(fingerprintIn(fromA.stdout)).toBe(fingerprintIn(fromB.stdout));
    expect(readFileSync(path.join(root, 'a.pem'), 'utf8')).toBe(readFileSync(path.join(root, 'b.pem'), 'utf8'));
    const key = (s: PairServerProcess) => readFileSync(path.join(s.dir, 'tls', 'encryption.key'), 'utf8');
    expect(key(b)).toBe(key(a));
    const acts = readFileSync(path.join(a.dir, 'logs', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; actor: string });
    expect(acts).toContainEqual(expect.objectContaining({ action: 'encryption key shared with the peer', actor: 'peer QKMENCB1' }));
  }, 60_000);

  it("a partner's certificate imported on one server is stored on its peer too, unless the peer holds another under that name", async () => {
    const partner = issueEncryptionCertificate({ now: new Date(), serial: 'PARTNER1' });
    writeFileSync(path.join(root, 'partner.pem'), partner.certPem);
    const r = await runQkmcmds(['--data-dir', a.dir, 'cert', 'import', path.join(root, 'partner.pem'), '--name', 'SITEX'], { ...a.env, QKM_PAIR_PEER: b.address });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Also stored on the peer server QKMENCB1: either server of the pair can export keys to SITEX.');
    const listed = await runQkmcmds(['--data-dir', b.dir, 'cert', 'partners', '--json'], b.env);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'SITEX', fingerprint: new X509Certificate(partner.certPem).fingerprint256 })]);
    const acts = readFileSync(path.join(b.dir, 'logs', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; actor: string });
    expect(acts).toContainEqual(expect.objectContaining({ action: 'partner certificate stored from the peer', actor: 'peer QKMENCA1' }));

    // B's administrator stored another certificate as SITEX2; A's import of a different one under that name is not forced on B.
    const other = issueEncryptionCertificate({ now: new Date(), serial: 'PARTNER2' });
    writeFileSync(path.join(root, 'other.pem'), other.certPem);
    expect((await runQkmcmds(['--data-dir', b.dir, 'cert', 'import', path.join(root, 'other.pem'), '--name', 'SITEX2'], { ...b.env, QKM_PAIR_PEER: '127.0.0.1:1' })).code).toBe(0);
    const clash = await runQkmcmds(['--data-dir', a.dir, 'cert', 'import', path.join(root, 'partner.pem'), '--name', 'SITEX2'], { ...a.env, QKM_PAIR_PEER: b.address });
    expect(clash.code, clash.stderr).toBe(0);
    expect(clash.stdout).toMatch(/Not stored on the peer at \S+, which refused it: A partner named SITEX2 is already stored .*; if the one stored here is the partner's current one, import it here again with --replace to send it there\./);
    const onB = JSON.parse((await runQkmcmds(['--data-dir', b.dir, 'cert', 'partners', '--json'], b.env)).stdout) as { name: string; fingerprint: string }[];
    expect(onB.find((p) => p.name === 'SITEX2')?.fingerprint).toBe(new X509Certificate(other.certPem).fingerprint256);
  }, 60_000);

  it('a server of a pair with no peer answering says so in one sentence and makes no certificate of its own', async () => {
    for (const f of ['encryption.pem', 'encryption.key']) rmSync(path.join(b.dir, 'tls', f));
    const r = await exportCert(b, '127.0.0.1:1', 'none.pem');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('This server is one of a pair, whose encryption certificate is kept on both servers, and no peer gave it');
    expect(existsSync(path.join(b.dir, 'tls', 'encryption.pem'))).toBe(false);
  }, 60_000);
});
