import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle, type LibraryCredentials } from '../../src/library/bundle.js';
import type { ServerAddress } from '../../src/library/config.js';
import { KmipConnection } from '../../src/library/kmip-connection.js';
import { TlsSessions } from '../../src/library/tls-sessions.js';
import { ResultStatus } from '../../src/kmip/ttlv/index.js';
import { tlsPaths } from '../../src/pki/index.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { runQkmcmds, startQkmdKeyServer, type QkmdKeyServer } from '../helpers/qkmd-kmip.js';
import { op } from '../kmip/operations-client.js';

/**
 * The cheaper handshake through real processes: a data directory made before qkmd had an
 * ECDSA certificate, upgraded at start; a library bundle with an ECDSA client certificate,
 * used by qkm-library's own connection code, which resumes its session on the next
 * connection; and a revoked certificate that cannot resume.
 */
let root: string;
let dataDir: string;
let qkmd: QkmdKeyServer;
let before: { ca: string; rsa: string };

const cmd = (...args: string[]) => runQkmcmds(['--data-dir', dataDir, ...args]);
const tls = () => tlsPaths(join(dataDir, 'tls'));
/** qkmd's log lines (pino JSON) with this message. */
const logged = (msg: string): Array<Record<string, unknown>> =>
  readFileSync(join(dataDir, 'logs', 'qkmd.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);

async function bundle(library: string, keyType: string): Promise<LibraryCredentials> {
  const out = join(root, `${library}.tgz`);
  const r = await cmd('certs', 'library-bundle', '--library', library, '--out', out, '--key-type', keyType);
  expect(r.code, r.stderr).toBe(0);
  return readBundle(out);
}

/** One Query over a fresh connection, as the library opens one; resolves with whether qkmd answered it. */
async function queryOnce(creds: LibraryCredentials, sessions: TlsSessions): Promise<boolean> {
  const server: ServerAddress = { role: 'primary', host: '127.0.0.1', port: qkmd.port };
  let conn: KmipConnection | undefined;
  try {
    conn = await KmipConnection.open(server, creds, 10_000, sessions);
    const answer = await conn.request([op.query(1)]);
    return answer.batchItems[0]?.resultStatus === ResultStatus.Success;
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

beforeAll(async () => {
  root = tempDir('qkm-handshake-');
  dataDir = join(root, 'data');
  const first = await startQkmdKeyServer({ dataDir });
  await first.stop();
  // The data directory as the version before this one left it: no ECDSA certificate.
  rmSync(tls().serverEcdsaCert);
  rmSync(tls().serverEcdsaKey);
  before = { ca: readFileSync(tls().caCert, 'utf8'), rsa: readFileSync(tls().serverCert, 'utf8') };
  qkmd = await startQkmdKeyServer({ dataDir });
}, 90_000);

afterAll(async () => {
  await qkmd?.stop();
  removeDir(root);
});

describe('the ECDSA server certificate and session resumption, with a real qkmd', () => {
  it('gives a data directory from before the ECDSA certificate one at start, under the same CA, and keeps the RSA one', () => {
    expect(readFileSync(tls().caCert, 'utf8')).toBe(before.ca);
    expect(readFileSync(tls().serverCert, 'utf8')).toBe(before.rsa);
    const ecdsa = new X509Certificate(readFileSync(tls().serverEcdsaCert));
    expect(ecdsa.publicKey.asymmetricKeyType).toBe('ec');
    expect(ecdsa.verify(new X509Certificate(before.ca).publicKey)).toBe(true);
    // Once at the first start, and once at the start that found it missing.
    expect(logged('ECDSA server certificate issued').map((l) => l.reason)).toEqual(['absent', 'absent']);
    expect(logged('server certificate issued')).toHaveLength(1);
  });

  it.each([
    ['LIBEC', 'ecdsa', 'ec'],
    ['LIBRSA', 'rsa', 'rsa'],
  ] as const)('writes a library bundle (%s, --key-type %s) that qkm-library uses, and its next connection resumes', async (library, keyType, keyKind) => {
    const creds = await bundle(library, keyType);
    expect(createPrivateKey(creds.key).asymmetricKeyType).toBe(keyKind);
    const sessions = new TlsSessions();
    expect(await queryOnce(creds, sessions)).toBe(true);
    expect(await queryOnce(creds, sessions)).toBe(true);
    const connections = logged('key server client connected').filter((l) => l.library === library);
    expect(connections.map((l) => l.resumed)).toEqual([false, true]);
  });

  it('refuses a certificate revoked since its session was made, when it tries to resume', async () => {
    const creds = await bundle('LIBGONE', 'ecdsa');
    const sessions = new TlsSessions();
    expect(await queryOnce(creds, sessions)).toBe(true);
    const revoke = await cmd('certs', 'revoke', '--library', 'LIBGONE');
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(await queryOnce(creds, sessions)).toBe(false);
    const refusals = logged('refused a key server client during the TLS handshake').map((l) => String(l.reason));
    expect(refusals).toEqual([expect.stringMatching(/^client certificate [0-9A-F]+ of "LIBGONE" is revoked$/)]);
  });

  it('says in one sentence that a key type is unknown, and writes nothing', async () => {
    const out = join(root, 'bad.tgz');
    const r = await cmd('certs', 'library-bundle', '--library', 'LIBX', '--out', out, '--key-type', 'dsa');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['qkmcmds: "dsa" is not a certificate key type: give --key-type rsa (every library takes it) or --key-type ecdsa (a P-256 key, for a library whose TLS takes one).']);
    expect(existsSync(out)).toBe(false);
  });
});
