import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callPeer } from '../../src/pair/link-client.js';
import { certificateFingerprint, createCertificateAuthority, issuePairCertificate, type PairCredentials } from '../../src/pki/index.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type PairServerProcess, pairCli, startPairedIn } from '../helpers/pair.js';
import { prepareLibrary, runQkmcmds, startQkmdKeyServer } from '../helpers/qkmd-kmip.js';

/**
 * Two real qkmd processes on loopback made a pair by the administrator's three steps, and
 * the pair link refusing everyone else: a foreign CA's certificate, a library's
 * certificate from the server's own CA, a wrong fingerprint, and a server posing as the peer.
 */
let root: string;
let a: PairServerProcess;
let b: PairServerProcess;

const pair = (s: PairServerProcess, args: string[], peer = '') => pairCli(s, args, peer);

async function statusOf(s: PairServerProcess, peer: string) {
  const r = await pair(s, ['status', '--json'], peer);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { serial: string | null; reachable: boolean; problem: string | null; lagEntries: number | null; version: { self: string; peer: string | null }; versionsDiffer: boolean; role: string | null }[];
}

/** A pair certificate from a CA no server of the pair knows. */
function foreignCreds(): PairCredentials {
  const ca = createCertificateAuthority({ now: new Date(), hostname: 'stranger', keyBits: 2048 });
  const leaf = issuePairCertificate(ca, { now: new Date(), serial: 'STRANGER1', keyBits: 2048 });
  return { ...leaf, fingerprint: certificateFingerprint(leaf.certPem) };
}

const hostPort = (s: PairServerProcess) => ({ host: s.address.split(':')[0]!, port: Number(s.address.split(':')[1]) });

beforeAll(async () => {
  root = tempDir('qkm-pair-');
  [a, b] = await Promise.all([startPairedIn(root, 'a', { role: 'primary', serial: 'QKMPAIRA1' }), startPairedIn(root, 'b', { role: 'secondary', serial: 'QKMPAIRB1' })]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.qkmd.stop(), b?.qkmd.stop()]);
  removeDir(root);
});

describe('pairing: init on one server, join on the other, confirm on the first', () => {
  it('a wrong fingerprint is refused in one sentence, and nothing is sent or recorded on either side', async () => {
    const wrong = b.fingerprint; // a real fingerprint, but not A's
    const r = await pair(b, ['join', '--peer', a.address, '--fingerprint', wrong]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/fingerprint is this server's own|is not the expected peer/);
    const other = 'AB'.repeat(32);
    const r2 = await pair(b, ['join', '--peer', a.address, '--fingerprint', other]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`The server at ${a.address} is not the expected peer: its pair certificate's fingerprint is ${a.fingerprint}; nothing was sent to it.`);
    expect(existsSync(path.join(b.dir, 'pair', 'peers'))).toBe(false);
    expect(existsSync(path.join(a.dir, 'pair', 'pending'))).toBe(false);
    expect(await statusOf(b, a.address)).toEqual([expect.objectContaining({ serial: null, reachable: false, problem: 'not paired' })]);
  });

  it('pairs in three steps; until the confirmation the first server serves the joiner nothing', async () => {
    const init = await pair(a, ['init']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain(`Pair fingerprint of server ${a.serial}: ${a.fingerprint}`);

    // Lower case without colons, as someone may type it.
    const typed = a.fingerprint.replace(/:/g, '').toLowerCase();
    const join = await pair(b, ['join', '--peer', a.address, '--fingerprint', typed]);
    expect(join.code, join.stderr).toBe(0);
    expect(join.stdout).toContain(`qkmcmds pair confirm --fingerprint ${b.fingerprint}`);

    const waiting = await statusOf(b, a.address);
    expect(waiting).toEqual([expect.objectContaining({ serial: a.serial, reachable: false })]);
    expect(waiting[0]!.problem).toContain('is not paired with the one whose pair certificate has fingerprint');

    const confirm = await pair(a, ['confirm', '--fingerprint', b.fingerprint]);
    expect(confirm.code, confirm.stderr).toBe(0);
    expect(confirm.stdout).toContain(`Server ${b.serial} is now this server's peer.`);

    const fromB = await statusOf(b, a.address);
    expect(fromB).toEqual([expect.objectContaining({ serial: a.serial, reachable: true, role: 'primary', problem: null, versionsDiffer: false, lagEntries: 0 })]);
    expect(fromB[0]!.version.peer).toBe(fromB[0]!.version.self);
    const fromA = await statusOf(a, b.address);
    expect(fromA).toEqual([expect.objectContaining({ serial: b.serial, reachable: true, role: 'secondary', lagEntries: 0 })]);

    // From now on every change of A is journalled for B. These qkmd have no [pair] peer
    // address, so nothing is sent: a generation is taken back after its time-out, and both
    // entries (the set, its withdrawal) wait for B, as the lag shows.
    const gen = await runQkmcmds(['--data-dir', a.dir, 'keys', 'generate', '--library', 'LIB1', '--class', 'i500'], { ...a.env, QKM_PAIR_GENERATION_TIMEOUT_SECONDS: '1' });
    expect(gen.code).toBe(1);
    expect((await statusOf(a, b.address))[0]!.lagEntries).toBe(2);

    const text = await pair(a, ['status'], b.address);
    expect(text.stdout).toContain(`Peer ${b.serial} at ${b.address} (secondary): reachable`);
    expect(text.stdout).toContain('replication lag: 2 change(s)');
  });

  it('a confirmation of a fingerprint nobody asked with is refused in one sentence', async () => {
    const r = await pair(a, ['confirm', '--fingerprint', 'CD'.repeat(32)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^qkmcmds: No server with the pair fingerprint CD:CD:.* has asked to pair with this one; .*\n$/);
  });
});

describe('the pair link serves its peer only', () => {
  it("refuses a foreign CA's certificate, even after it asked to pair", async () => {
    const stranger = foreignCreds();
    await expect(callPeer(hostPort(a), stranger, () => true, { op: 'hello' })).rejects.toMatchObject({ code: 'PAIR_NOT_PAIRED' });
    const asked = await callPeer(hostPort(a), stranger, () => true, { op: 'join', serial: 'STRANGER1', version: '0.1.0' });
    expect(asked.reply.paired).toBe(false);
    await expect(callPeer(hostPort(a), stranger, () => true, { op: 'hello' })).rejects.toMatchObject({ code: 'PAIR_NOT_PAIRED' });
    const log = readFileSync(path.join(a.dir, 'logs', 'qkmd.log'), 'utf8');
    expect(log).toContain('refused a server that is not a peer');
  });

  it("refuses a library's certificate from the server's own CA, for requests and for joining", async () => {
    const files = await prepareLibrary({ dataDir: a.dir, library: 'LIB1', dir: path.join(root, 'lib1'), env: a.env });
    const cert = readFileSync(files.cert, 'utf8');
    const library: PairCredentials = { certPem: cert, keyPem: readFileSync(files.key, 'utf8'), fingerprint: certificateFingerprint(cert) };
    await expect(callPeer(hostPort(a), library, () => true, { op: 'hello' })).rejects.toMatchObject({ code: 'PAIR_NOT_PAIRED' });
    await expect(callPeer(hostPort(a), library, () => true, { op: 'join', serial: 'LIB1', version: '0.1.0' })).rejects.toMatchObject({ code: 'PAIR_NOT_A_SERVER' });
  });

  it('a server posing as the peer is not spoken to', async () => {
    const impostor = foreignCreds();
    let received = 0;
    const server = createServer({ key: impostor.keyPem, cert: impostor.certPem, requestCert: true, rejectUnauthorized: false }, (s) => {
      s.on('data', (d: Buffer) => (received += d.length));
      s.on('error', () => s.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const fake = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const rows = await statusOf(b, fake);
      expect(rows).toEqual([expect.objectContaining({ serial: a.serial, reachable: false })]);
      expect(rows[0]!.problem).toContain(`The server at ${fake} is not the expected peer: its pair certificate's fingerprint is ${impostor.fingerprint}`);
      expect(received).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('settings', () => {
  it('qkmd refuses a standalone server with a peer configured, in one sentence, before it starts', async () => {
    const dir = path.join(root, 'lone');
    await expect(startQkmdKeyServer({ dataDir: dir, env: { QKM_PAIR_PEER: '127.0.0.1:6100' }, timeoutMs: 30_000 }))
      .rejects.toThrow(/qkmd: pair\.peer is "127\.0\.0\.1:6100" but pair\.role is "standalone"; set pair\.role to primary or secondary, or leave pair\.peer empty\./);
  });
});
