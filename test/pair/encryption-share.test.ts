import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('a server of a pair with no peer answering says so in one sentence and makes no certificate of its own', async () => {
    for (const f of ['encryption.pem', 'encryption.key']) rmSync(path.join(b.dir, 'tls', f));
    const r = await exportCert(b, '127.0.0.1:1', 'none.pem');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('This server is one of a pair, whose encryption certificate is kept on both servers, and no peer gave it');
    expect(existsSync(path.join(b.dir, 'tls', 'encryption.pem'))).toBe(false);
  }, 60_000);
});
