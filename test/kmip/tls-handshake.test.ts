import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSAL_LOG_LIMITS, type ConnectionInfo, type RefusalCode } from '../../src/kmip/tls/index.js';
import {
  echoHandler,
  echoNoting,
  exchangeOnce,
  makeTlsFixture,
  refusalsSince as refusalsOf,
  sleep,
  startServer,
  type TlsFixture,
} from '../helpers/tls-fixtures.js';

let fx: TlsFixture;
let server: Awaited<ReturnType<typeof startServer>>['server'];
let log: Awaited<ReturnType<typeof startServer>>['log'];
const seen: ConnectionInfo[] = [];
/** What the server told its onRefusal hook (the metrics count these). */
const codes: RefusalCode[] = [];

beforeAll(async () => {
  fx = await makeTlsFixture('lib-alpha');
  ({ server, log } = await startServer(fx, {
    // Every refusal here comes from 127.0.0.1 within a minute, and each one is checked.
    refusalLog: { ...REFUSAL_LOG_LIMITS, linesPerAddress: 1000 },
    handler: echoNoting(seen),
    onRefusal: (code) => codes.push(code),
  }));
});

afterAll(async () => {
  await server?.stop();
  await fx?.cleanup();
});

const refusalsSince = (from: number) => refusalsOf(log, from);

describe('TLS handshake with mutual authentication', () => {
  it('accepts a library certificate from our CA and names the connection by its CN', async () => {
    const r = await exchangeOnce(fx, server.port, fx.good);
    expect(r.outcome).toBe('answered');
    const conn = seen.at(-1)!;
    expect(conn.identity.library).toBe('lib-alpha');
    expect(conn.identity.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(conn.remoteAddress).toBe('127.0.0.1');
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('accepts %s with an ECDHE AEAD suite', async (version) => {
    const r = await exchangeOnce(fx, server.port, fx.good, { minVersion: version, maxVersion: version });
    expect(r.outcome).toBe('answered');
    expect(r.protocol).toBe(version);
    if (version === 'TLSv1.2') expect(r.cipher).toMatch(/^ECDHE-(ECDSA|RSA)-.*(GCM|POLY1305)/);
  });

  it('accepts the suite PyKMIP insists on (TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256)', async () => {
    const r = await exchangeOnce(fx, server.port, fx.good, {
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    expect(r).toMatchObject({ outcome: 'answered', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' });
  });

  it('refuses a TLS 1.2 client offering only non-ECDHE suites', async () => {
    const from = log.lines.length;
    const counted = codes.length;
    const r = await exchangeOnce(fx, server.port, fx.good, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' });
    expect(r.outcome).not.toBe('answered');
    expect(await refusalsSince(from)).toEqual(['no shared cipher suite (ECDHE AEAD suites only)']);
    expect(codes.slice(counted)).toEqual(['no_shared_cipher']);
  });

  it('refuses TLS 1.1', async () => {
    const from = log.lines.length;
    // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all, so the refusal is the server's.
    const r = await exchangeOnce(fx, server.port, fx.good, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    expect(r.outcome).not.toBe('answered');
    expect(await refusalsSince(from)).toEqual(['TLS version not allowed (1.2 or 1.3 only)']);
  });

  const refusals = [
    ['no client certificate', undefined, 'no client certificate', 'no_certificate'],
    ['a certificate from another CA', 'foreign', 'client certificate not issued by this appliance CA', 'unknown_ca'],
    ['an expired certificate', 'expired', 'client certificate expired', 'certificate_expired'],
    ['a not-yet-valid certificate', 'notYetValid', 'client certificate not yet valid', 'certificate_not_yet_valid'],
  ] as const;

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it.each(refusals)(`refuses ${version} with %s, and logs and counts it once`, async (_label, which, reason, code) => {
      const from = log.lines.length;
      const counted = codes.length;
      const handled = seen.length;
      const r = await exchangeOnce(fx, server.port, which ? fx[which] : undefined, { minVersion: version, maxVersion: version });
      expect(r.outcome).not.toBe('answered');
      expect(seen.length).toBe(handled);
      expect(await refusalsSince(from)).toEqual([reason]);
      expect(codes.slice(counted)).toEqual([code]);
      const line = log.lines.slice(from).find((l) => l.msg.startsWith('refused'))!;
      expect(line.level).toBe('warn');
      expect(line.fields.remoteAddress).toBe('127.0.0.1');
    });
  }

  it('refuses the TLS 1.2 bad-certificate cases before the handshake completes', async () => {
    for (const which of ['expired', 'foreign'] as const) {
      const r = await exchangeOnce(fx, server.port, fx[which], { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
      // The client never saw the server's Finished, so never learned a protocol.
      expect(r.protocol).toBeUndefined();
    }
  });

  it('refuses a certificate from our CA that is not for client use (the server certificate)', async () => {
    const from = log.lines.length;
    const r = await exchangeOnce(fx, server.port, { certPem: fx.server.serverCertPem, keyPem: fx.server.serverKeyPem });
    expect(r.outcome).not.toBe('answered');
    expect((await refusalsSince(from))[0]).toMatch(/clientAuth/);
  });
});

describe('a further identity check (revocation)', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)('refuses %s clients it names before any message is handled, logged once; the check is asked at every handshake', async (version) => {
    let refused = true;
    const asked: string[] = [];
    const handled: ConnectionInfo[] = [];
    const counted: RefusalCode[] = [];
    const second = await startServer(fx, {
      onRefusal: (code) => counted.push(code),
      handler: async (conn, frame) => {
        handled.push(conn);
        return echoHandler(conn, frame);
      },
      authorize: (id) => {
        asked.push(id.serialNumber);
        return refused ? `client certificate ${id.serialNumber} of "${id.library}" is revoked` : undefined;
      },
    });
    try {
      const r = await exchangeOnce(fx, second.server.port, fx.good, { minVersion: version, maxVersion: version });
      expect(r.outcome).not.toBe('answered');
      expect(handled).toHaveLength(0);
      await sleep(100);
      const refusals = second.log.lines.filter((l) => l.msg.startsWith('refused'));
      expect(refusals.map((l) => l.fields.reason)).toEqual([expect.stringMatching(/^client certificate [0-9A-F]+ of "lib-alpha" is revoked$/)]);
      expect(counted).toEqual(['revoked']);
      refused = false;
      expect((await exchangeOnce(fx, second.server.port, fx.good, { minVersion: version, maxVersion: version })).outcome).toBe('answered');
      expect(asked).toHaveLength(2);
    } finally {
      await second.server.stop();
    }
  });
});
