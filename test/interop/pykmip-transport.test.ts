import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PYKMIP_WIRE_DIR,
  pykmipUnavailableReason,
  runPykmip,
  writePykmipCredentials,
} from '../helpers/pykmip.js';
import { issueClientCertificate } from '../../src/pki/index.js';
import { makeTlsFixture, startServer, type TlsFixture } from '../helpers/tls-fixtures.js';

const unavailable = await pykmipUnavailableReason();
if (unavailable && process.env.QKM_REQUIRE_PYKMIP === '1') {
  describe('PyKMIP client over our TLS transport', () => {
    it('has PyKMIP to run with (QKM_REQUIRE_PYKMIP=1)', () => {
      throw new Error(`QKM_REQUIRE_PYKMIP=1 but PyKMIP cannot run: ${unavailable}`);
    });
  });
} else if (unavailable) {
  console.warn(`Skipping the PyKMIP transport interop test: ${unavailable} (set QKM_REQUIRE_PYKMIP=1 to make this a failure).`);
}

async function wire(name: string): Promise<Buffer> {
  return Buffer.from((await readFile(join(PYKMIP_WIRE_DIR, name), 'utf8')).trim(), 'hex');
}

/**
 * The transport alone against a real client: our TLS server, with a handler that answers
 * each request with PyKMIP's own captured response, must complete a PyKMIP call. No codec
 * or engine is involved, so a failure here is TLS or framing.
 */
describe.skipIf(unavailable !== undefined)('PyKMIP client over our TLS transport (canned responses)', () => {
  let fx: TlsFixture;
  let files: { ca: string; cert: string; key: string };
  beforeAll(async () => {
    fx = await makeTlsFixture('pykmip-lib');
    files = await writePykmipCredentials(fx.dir, { caCertPem: fx.ca.certPem, clientCertPem: fx.good.certPem, clientKeyPem: fx.good.keyPem });
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it.each([
    ['discover_versions', '09-discover_versions'],
    ['query', '10-query'],
  ] as const)('completes %s', async (operation, capture) => {
    const [request, response] = await Promise.all([wire(`${capture}.req.hex`), wire(`${capture}.resp.hex`)]);
    const received: Buffer[] = [];
    const libraries: string[] = [];
    const { server, log } = await startServer(fx, {
      handler: async (conn, frame) => {
        received.push(frame);
        libraries.push(conn.identity.library);
        return response;
      },
    });
    try {
      const r = await runPykmip({ port: server.port, files, operation });
      expect(r.json, r.stderr).toMatchObject({ ok: true, operation, result_status: 'SUCCESS' });
      if (operation === 'discover_versions') {
        expect(r.json!.protocol_versions).toEqual(['2.0', '1.4', '1.3', '1.2', '1.1', '1.0']);
      } else {
        expect(r.json!.operations, JSON.stringify(r.json)).toContain('DISCOVER_VERSIONS');
        expect(r.json!.object_types).toEqual([]);
      }
      // The frame the handler saw is PyKMIP's request byte for byte, as captured.
      expect(received).toHaveLength(1);
      expect(received[0]!.toString('hex')).toBe(request.toString('hex'));
      expect(libraries).toEqual(['pykmip-lib']);
      const connected = log.lines.find((l) => l.msg === 'key server client connected')!;
      expect(connected.fields).toMatchObject({ protocol: 'TLSv1.2' });
      // PyKMIP's client offers ECDSA suites, so it is served the ECDSA certificate.
      expect(String(connected.fields.cipher)).toMatch(/^ECDHE-ECDSA-/);
    } finally {
      await server.stop();
    }
  });

  it('completes discover_versions with an ECDSA library certificate', async () => {
    const ecdsa = issueClientCertificate(fx.ca, { library: 'pykmip-ecdsa', now: new Date(), keyType: 'ecdsa' });
    await mkdir(join(fx.dir, 'ecdsa'), { recursive: true });
    const ecdsaFiles = await writePykmipCredentials(join(fx.dir, 'ecdsa'), { caCertPem: fx.ca.certPem, clientCertPem: ecdsa.certPem, clientKeyPem: ecdsa.keyPem });
    const response = await wire('09-discover_versions.resp.hex');
    const libraries: string[] = [];
    const { server } = await startServer(fx, {
      handler: async (conn) => {
        libraries.push(conn.identity.library);
        return response;
      },
    });
    try {
      const r = await runPykmip({ port: server.port, files: ecdsaFiles, operation: 'discover_versions' });
      expect(r.json, r.stderr).toMatchObject({ ok: true, result_status: 'SUCCESS' });
      expect(libraries).toEqual(['pykmip-ecdsa']);
    } finally {
      await server.stop();
    }
  });

  it('is refused by our server when it presents a certificate from another CA', async () => {
    const { server, log } = await startServer(fx, { handler: async () => null });
    try {
      await mkdir(join(fx.dir, 'foreign'), { recursive: true });
      const foreignFiles = await writePykmipCredentials(join(fx.dir, 'foreign'), {
        caCertPem: fx.ca.certPem,
        clientCertPem: fx.foreign.certPem,
        clientKeyPem: fx.foreign.keyPem,
      });
      const r = await runPykmip({ port: server.port, files: foreignFiles, operation: 'discover_versions' });
      expect(r.json).toMatchObject({ ok: false });
      expect(log.lines.filter((l) => l.msg.startsWith('refused')).map((l) => l.fields.reason)).toEqual([
        'client certificate not issued by this appliance CA',
      ]);
    } finally {
      await server.stop();
    }
  });
});
