import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../drivers/clock.js';
import type { ConnectionInfo } from '../../src/kmip/tls/index.js';
import { issueClientCertificate, type CertifiedKey } from '../../src/pki/index.js';
import { echoNoting, exchangeOnce, makeTlsFixture, refusalsSince as refusalsOf, startServer, type TlsFixture } from '../helpers/tls-fixtures.js';

const VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
/** A client whose TLS stack signs and verifies RSA only (older tape library firmware). */
const RSA_ONLY = {
  'TLSv1.2': { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' },
  'TLSv1.3': { sigalgs: 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pkcs1_sha256' },
} as const;
const YEAR_MS = 365 * 86_400_000;

let fx: TlsFixture;
let ecdsaClient: CertifiedKey;
/** The server's clock runs this far ahead of the wall clock (to expire a certificate mid-session). */
let clockAhead = 0;
let revoked = new Set<string>();
let server: Awaited<ReturnType<typeof startServer>>['server'];
let log: Awaited<ReturnType<typeof startServer>>['log'];
const seen: ConnectionInfo[] = [];

beforeAll(async () => {
  fx = await makeTlsFixture('lib-alpha');
  ecdsaClient = issueClientCertificate(fx.ca, { library: 'lib-ecdsa', now: new Date(), keyType: 'ecdsa' });
  const wall = new SystemClock();
  const clock = { now: () => wall.now() + clockAhead, setTimeout: wall.setTimeout.bind(wall), clearTimeout: wall.clearTimeout.bind(wall) };
  ({ server, log } = await startServer(fx, {
    clock,
    authorize: (id) => (revoked.has(id.serialNumber) ? `client certificate ${id.serialNumber} of "${id.library}" is revoked` : undefined),
    handler: echoNoting(seen),
  }));
});

afterAll(async () => {
  await server?.stop();
  await fx?.cleanup();
});

const refusalsSince = (from: number) => refusalsOf(log, from);

describe('the ECDSA server certificate beside the RSA one', () => {
  it.each(VERSIONS)('a %s client that offers ECDSA gets the ECDSA certificate, issued by the appliance CA', async (version) => {
    const r = await exchangeOnce(fx, server.port, fx.good, { minVersion: version, maxVersion: version });
    expect(r).toMatchObject({ outcome: 'answered', protocol: version, serverKeyType: 'ec' });
    if (version === 'TLSv1.2') expect(r.cipher).toMatch(/^ECDHE-ECDSA-.*(GCM|POLY1305)/);
  });

  it.each(VERSIONS)('an RSA-only %s client still gets the RSA certificate', async (version) => {
    const r = await exchangeOnce(fx, server.port, fx.good, { minVersion: version, maxVersion: version, ...RSA_ONLY[version] });
    expect(r).toMatchObject({ outcome: 'answered', protocol: version, serverKeyType: 'rsa' });
  });

  it.each(VERSIONS)('accepts an ECDSA library certificate at %s and names the library by it', async (version) => {
    expect(new X509Certificate(ecdsaClient.certPem).publicKey.asymmetricKeyType).toBe('ec');
    const r = await exchangeOnce(fx, server.port, ecdsaClient, { minVersion: version, maxVersion: version });
    expect(r.outcome).toBe('answered');
    expect(seen.at(-1)!.identity.library).toBe('lib-ecdsa');
  });
});

describe('session resumption', () => {
  it.each(VERSIONS)('%s: a returning client resumes with its ticket, and is still the same library', async (version) => {
    const opts = { minVersion: version, maxVersion: version } as const;
    const first = await exchangeOnce(fx, server.port, fx.good, opts);
    expect(first).toMatchObject({ outcome: 'answered', reused: false });
    const firstIdentity = seen.at(-1)!.identity;
    expect(first.session).toBeInstanceOf(Buffer);

    const from = log.lines.length;
    const again = await exchangeOnce(fx, server.port, fx.good, { ...opts, session: first.session });
    expect(again).toMatchObject({ outcome: 'answered', reused: true, protocol: version });
    // The identity of a resumed session comes from the certificate of the handshake that made it.
    const identity = seen.at(-1)!.identity;
    expect(identity).toEqual(firstIdentity);
    expect(identity.library).toBe('lib-alpha');
    const connected = log.lines.slice(from).find((l) => l.msg === 'key server client connected')!;
    expect(connected.fields).toMatchObject({ library: 'lib-alpha', resumed: true, fingerprint256: firstIdentity.fingerprint256 });
  });

  it.each(VERSIONS)('%s: a certificate revoked since its session was made cannot resume, and is logged as revoked', async (version) => {
    const opts = { minVersion: version, maxVersion: version } as const;
    const lib = issueClientCertificate(fx.ca, { library: 'lib-revoked', now: new Date(), keyType: 'ecdsa' });
    const first = await exchangeOnce(fx, server.port, lib, opts);
    expect(first.outcome).toBe('answered');
    const handled = seen.length;
    revoked.add(seen.at(-1)!.identity.serialNumber);
    try {
      const from = log.lines.length;
      const again = await exchangeOnce(fx, server.port, lib, { ...opts, session: first.session });
      // The session was resumed (no certificate sent), and refused all the same.
      expect(again).toMatchObject({ reused: true });
      expect(again.outcome).not.toBe('answered');
      expect(seen.length).toBe(handled);
      expect(await refusalsSince(from)).toEqual([expect.stringMatching(/^client certificate [0-9A-F]+ of "lib-revoked" is revoked$/)]);
    } finally {
      revoked = new Set();
    }
  });

  it('a certificate that expired since its session was made cannot resume', async () => {
    const first = await exchangeOnce(fx, server.port, fx.good);
    expect(first.outcome).toBe('answered');
    const handled = seen.length;
    clockAhead = 6 * YEAR_MS; // past the 5-year client certificate
    try {
      const from = log.lines.length;
      const again = await exchangeOnce(fx, server.port, fx.good, { session: first.session });
      expect(again).toMatchObject({ reused: true });
      expect(again.outcome).not.toBe('answered');
      expect(seen.length).toBe(handled);
      expect(await refusalsSince(from)).toEqual(['client certificate expired']);
    } finally {
      clockAhead = 0;
    }
  });

  it.each(VERSIONS)('%s: after the ticket key rotates, an old ticket gets a full handshake (and is served)', async (version) => {
    const opts = { minVersion: version, maxVersion: version } as const;
    const first = await exchangeOnce(fx, server.port, fx.good, opts);
    server.rotateTicketKeys();
    const again = await exchangeOnce(fx, server.port, fx.good, { ...opts, session: first.session });
    expect(again).toMatchObject({ outcome: 'answered', reused: false });
    const third = await exchangeOnce(fx, server.port, fx.good, { ...opts, session: again.session });
    expect(third).toMatchObject({ outcome: 'answered', reused: true });
  });
});
