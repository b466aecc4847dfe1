import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BUNDLE_ENTRIES,
  CertificateError,
  CLOCK_SKEW_MS,
  createCertificateAuthority,
  ensureServerCredentials,
  issueClientCertificate,
  listCertificates,
  normalizeSerial,
  revokeCertificates,
  RevocationWatch,
  stateOf,
  tlsPaths,
  writeLibraryBundle,
} from '../../src/pki/index.js';
import { TEST_KEY_BITS } from '../helpers/tls-fixtures.js';

/** A serial in the one form the register lists and revoke accepts (no leading zeros). */
const sn = (c: { serialNumber: string }): string => normalizeSerial(c.serialNumber)!;

const DAY_MS = 86_400_000;
const NOW = new Date('2026-03-01T12:00:00Z');
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let dir: string;
let tlsDir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qkm-certs-'));
  tlsDir = join(dir, 'tls');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const keyMatches = (keyPem: string, cert: X509Certificate) =>
  createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' }).equals(cert.publicKey.export({ type: 'spki', format: 'der' }));

describe('ensureServerCredentials', () => {
  it('creates the CA and server certificate on first call, with private files 0600', async () => {
    const creds = await ensureServerCredentials(tlsDir, {
      hostname: 'qkmserver',
      altNames: ['192.168.18.3', 'qkm.example.net', '::1'],
      now: NOW,
      keyBits: TEST_KEY_BITS,
    });
    expect(creds.caCreated).toBe(true);
    expect(creds.serverIssued).toBe('absent');
    expect(creds.serverEcdsaIssued).toBe('absent');
    const p = tlsPaths(tlsDir);
    expect(await mode(p.caKey)).toBe(0o600);
    expect(await mode(p.serverKey)).toBe(0o600);
    expect(await mode(p.serverEcdsaKey)).toBe(0o600);
    expect(await mode(p.caCert)).toBe(0o644);
    expect(await mode(tlsDir)).toBe(0o700);
    // Atomic writes leave no temporaries behind.
    expect((await readdir(tlsDir)).sort()).toEqual(['ca.key', 'ca.pem', 'server-ecdsa.key', 'server-ecdsa.pem', 'server.key', 'server.pem']);

    const ca = new X509Certificate(await readFile(p.caCert, 'utf8'));
    const server = new X509Certificate(creds.serverCertPem);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toMatch(/CN=qkm CA qkmserver [0-9a-f]{8}/);
    expect(server.subject).toContain('CN=qkmserver');
    expect(server.subjectAltName).toBe('DNS:qkmserver, IP Address:192.168.18.3, DNS:qkm.example.net, IP Address:0:0:0:0:0:0:0:1');
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(keyMatches(creds.serverKeyPem, server)).toBe(true);
    // The injected clock sets validity, back-dated for clock skew.
    expect(new Date(server.validFrom).getTime()).toBe(NOW.getTime() - CLOCK_SKEW_MS);
    expect(new Date(ca.validTo).getTime()).toBeGreaterThan(NOW.getTime() + 19 * 365 * DAY_MS);
  });

  it('loads the same credentials on later calls', async () => {
    const first = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    const second = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: new Date(NOW.getTime() + DAY_MS), keyBits: TEST_KEY_BITS });
    expect(second.caCreated).toBe(false);
    expect(second.serverIssued).toBeUndefined();
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.serverCertPem).toBe(first.serverCertPem);
    expect(second.serverKeyPem).toBe(first.serverKeyPem);
    expect(second.serverEcdsaIssued).toBeUndefined();
    expect(second.serverEcdsaCertPem).toBe(first.serverEcdsaCertPem);
    expect(second.serverEcdsaKeyPem).toBe(first.serverEcdsaKeyPem);
  });

  it('presents an ECDSA P-256 server certificate beside the RSA one, from the same CA, for the same names', async () => {
    const creds = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', altNames: ['192.168.18.3'], now: NOW, keyBits: TEST_KEY_BITS });
    const ca = new X509Certificate(creds.caCertPem);
    const ecdsa = new X509Certificate(creds.serverEcdsaCertPem);
    expect(ecdsa.publicKey.asymmetricKeyType).toBe('ec');
    expect(ecdsa.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(ecdsa.checkIssued(ca) && ecdsa.verify(ca.publicKey)).toBe(true);
    expect(ecdsa.subjectAltName).toBe(new X509Certificate(creds.serverCertPem).subjectAltName);
    expect(ecdsa.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(keyMatches(creds.serverEcdsaKeyPem, ecdsa)).toBe(true);
  });

  it('gives a data directory from before the ECDSA certificate one, leaving the CA and the RSA certificate as they were', async () => {
    const before = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    const p = tlsPaths(tlsDir);
    await rm(p.serverEcdsaCert);
    await rm(p.serverEcdsaKey);
    // A write of the key killed before its rename left a temporary beside it.
    await writeFile(join(tlsDir, '.server-ecdsa.key.0123456789ab.tmp'), '-----BEGIN PRIVATE KEY-----\n');
    const upgraded = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    expect(upgraded).toMatchObject({ caCreated: false, serverEcdsaIssued: 'absent', caCertPem: before.caCertPem, serverCertPem: before.serverCertPem });
    expect(upgraded.serverIssued).toBeUndefined();
    expect(await readFile(p.serverEcdsaCert, 'utf8')).toBe(upgraded.serverEcdsaCertPem);
    expect(await mode(p.serverEcdsaKey)).toBe(0o600);
    expect((await readdir(tlsDir)).filter((n) => n.startsWith('.'))).toEqual([]);
    // A key written without its certificate (a crash between the two) is repaired the same way.
    await rm(p.serverEcdsaCert);
    expect((await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS })).serverEcdsaIssued).toBe('absent');
    await writeFile(p.serverEcdsaKey, before.serverEcdsaKeyPem);
    expect((await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS })).serverEcdsaIssued).toBe('key-mismatch');
  });

  it('reissues only the server certificate, under the same CA, when names change or it nears expiry', async () => {
    const first = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS, serverValidityDays: 100 });
    const renamed = await ensureServerCredentials(tlsDir, { hostname: 'vault7', now: NOW, keyBits: TEST_KEY_BITS });
    expect(renamed.serverIssued).toBe('names-changed');
    expect(renamed.caCertPem).toBe(first.caCertPem);
    expect(new X509Certificate(renamed.serverCertPem).subject).toContain('CN=vault7');

    const later = new Date(NOW.getTime() + (5 * 365 - 10) * DAY_MS);
    const renewed = await ensureServerCredentials(tlsDir, { hostname: 'vault7', now: later, keyBits: TEST_KEY_BITS });
    expect(renewed.serverIssued).toBe('expiring');
    expect(renewed.caCertPem).toBe(first.caCertPem);
  });

  it('repairs a server key that does not match its certificate', async () => {
    await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    const stray = issueClientCertificate(createCertificateAuthority({ hostname: 'x', now: NOW, keyBits: TEST_KEY_BITS }), {
      library: 'x',
      now: NOW,
      keyBits: TEST_KEY_BITS,
    });
    await writeFile(tlsPaths(tlsDir).serverKey, stray.keyPem);
    const again = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    expect(again.serverIssued).toBe('key-mismatch');
  });

  it('refuses to replace a damaged CA, since every library trusts it', async () => {
    await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    await writeFile(tlsPaths(tlsDir).caCert, 'garbage');
    await expect(ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW })).rejects.toMatchObject({ code: 'CERT_CA_DAMAGED' });
    await rm(tlsPaths(tlsDir).caCert);
    await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    await rm(tlsPaths(tlsDir).caKey);
    await expect(ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW })).rejects.toBeInstanceOf(CertificateError);
  });

  it('uses 3072-bit RSA keys by default', async () => {
    const ca = createCertificateAuthority({ hostname: 'qkmserver', now: NOW });
    expect(createPrivateKey(ca.keyPem).asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(new X509Certificate(ca.certPem).publicKey.asymmetricKeyType).toBe('rsa');
  });
});

describe('writeLibraryBundle', () => {
  it('writes a .tgz with the CA, and a client certificate and key for the library that chain to it', async () => {
    const server = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    const outFile = join(dir, 'lib-i500-a.tgz');
    const bundle = await writeLibraryBundle({ tlsDir, library: 'lib-i500-a', outFile, now: NOW, validityDays: 730, keyBits: TEST_KEY_BITS });
    expect(await mode(outFile)).toBe(0o600);

    const out = join(dir, 'unpacked');
    await mkdir(out);
    await extract({ file: outFile, cwd: out });
    expect((await readdir(out)).sort()).toEqual(Object.values(BUNDLE_ENTRIES).sort());
    const caPem = await readFile(join(out, BUNDLE_ENTRIES.caCert), 'utf8');
    const certPem = await readFile(join(out, BUNDLE_ENTRIES.clientCert), 'utf8');
    const keyPem = await readFile(join(out, BUNDLE_ENTRIES.clientKey), 'utf8');

    expect(caPem).toBe(server.caCertPem);
    const ca = new X509Certificate(caPem);
    const cert = new X509Certificate(certPem);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(keyMatches(keyPem, cert)).toBe(true);
    expect(cert.subject).toContain('CN=lib-i500-a');
    expect(cert.keyUsage).toEqual([OID_CLIENT_AUTH]);
    expect(cert.ca).toBe(false);
    expect(new Date(cert.validTo).getTime()).toBe(NOW.getTime() + 730 * DAY_MS);
    expect(bundle.fingerprint256).toBe(cert.fingerprint256);
    // The appliance keeps the certificate, never the library's key.
    const issued = await readdir(tlsPaths(tlsDir).issued);
    expect(issued).toEqual([`lib-i500-a-${cert.serialNumber.toLowerCase()}.pem`]);
    expect(await readdir(tlsDir)).not.toContain(expect.stringMatching(/^\.bundle-/));
  });

  it('on a pair, trusts the peer\'s CA after its own, so one bundle reaches both servers', async () => {
    const server = await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    const peerDir = join(dir, 'peer-tls');
    const peer = await ensureServerCredentials(peerDir, { hostname: 'qkmpeer', now: NOW, keyBits: TEST_KEY_BITS });
    const outFile = join(dir, 'paired.tgz');
    await writeLibraryBundle({ tlsDir, library: 'LIB1', outFile, now: NOW, keyBits: TEST_KEY_BITS, peerCas: [peer.caCertPem] });
    const out = join(dir, 'paired');
    await mkdir(out);
    await extract({ file: outFile, cwd: out });
    const caPem = await readFile(join(out, BUNDLE_ENTRIES.caCert), 'utf8');
    expect(caPem).toBe(server.caCertPem + peer.caCertPem);
    // Each server's certificate chains to one of the bundle's CAs.
    const cas = caPem.split(/(?<=-----END CERTIFICATE-----\r?\n)/).filter((p) => p.trim() !== '').map((p) => new X509Certificate(p));
    expect(cas.map((c) => c.fingerprint256)).toEqual([new X509Certificate(server.caCertPem).fingerprint256, new X509Certificate(peer.caCertPem).fingerprint256]);
    expect(new X509Certificate(peer.serverCertPem).checkIssued(cas[1]!)).toBe(true);
  });

  it('gives every certificate a fresh random serial', async () => {
    await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    const a = await writeLibraryBundle({ tlsDir, library: 'lib', outFile: join(dir, 'a.tgz'), now: NOW, keyBits: TEST_KEY_BITS });
    const b = await writeLibraryBundle({ tlsDir, library: 'lib', outFile: join(dir, 'b.tgz'), now: NOW, keyBits: TEST_KEY_BITS });
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.serialNumber).toMatch(/^[0-9A-F]{32}$/);
  });

  it('refuses before the CA exists, and refuses odd library names', async () => {
    await expect(writeLibraryBundle({ tlsDir, library: 'lib', outFile: join(dir, 'x.tgz'), now: NOW })).rejects.toMatchObject({ code: 'CERT_NO_CA' });
    await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    await expect(writeLibraryBundle({ tlsDir, library: '../etc/passwd', outFile: join(dir, 'x.tgz'), now: NOW })).rejects.toMatchObject({
      code: 'CERT_BAD_LIBRARY_NAME',
    });
    await expect(readdir(dir)).resolves.not.toContain('x.tgz');
  });
});

describe('the certificate register', () => {
  it('reads a serial however it is typed', () => {
    expect(normalizeSerial('0a:1B:2c')).toBe('A1B2C');
    expect(normalizeSerial(' 00ff ')).toBe('FF');
    expect(normalizeSerial('0')).toBe('0');
    expect(normalizeSerial('xyz')).toBeUndefined();
    expect(normalizeSerial('')).toBeUndefined();
  });

  it('lists issued certificates as valid, expired or revoked, and revokes idempotently', async () => {
    await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    const old = await writeLibraryBundle({ tlsDir, library: 'L', outFile: join(dir, 'old.tgz'), now: new Date(NOW.getTime() - 20 * DAY_MS), validityDays: 10, keyBits: TEST_KEY_BITS });
    const one = await writeLibraryBundle({ tlsDir, library: 'L', outFile: join(dir, 'one.tgz'), now: NOW, keyBits: TEST_KEY_BITS });
    const two = await writeLibraryBundle({ tlsDir, library: 'L', outFile: join(dir, 'two.tgz'), now: NOW, keyBits: TEST_KEY_BITS });
    // The expired one does not count as a certificate the library still has.
    expect(two.alreadyValid.map((r) => r.serial)).toEqual([sn(one)]);

    const later = new Date(NOW.getTime() + DAY_MS);
    const first = revokeCertificates(tlsDir, { serial: one.serialNumber.toLowerCase() }, later);
    expect(first.revoked.map((r) => r.serial)).toEqual([sn(one)]);
    expect(revokeCertificates(tlsDir, { serial: sn(one) }, later)).toMatchObject({ revoked: [], already: [{ serial: sn(one) }] });

    const states = Object.fromEntries(listCertificates(tlsDir).map((r) => [r.serial, [stateOf(r, later), r.issued?.getTime(), r.revokedAt?.getTime()]]));
    expect(states).toEqual({
      [sn(old)]: ['expired', NOW.getTime() - 20 * DAY_MS, undefined],
      [sn(one)]: ['revoked', NOW.getTime(), later.getTime()],
      [sn(two)]: ['valid', NOW.getTime(), undefined],
    });
    const all = revokeCertificates(tlsDir, { library: 'L' }, later);
    expect(all.revoked.map((r) => r.serial).sort()).toEqual([sn(old), sn(two)].sort());
  });
});

describe('RevocationWatch', () => {
  it('sees each revocation at the next handshake check, even several within one timestamp tick', async () => {
    await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: NOW, keyBits: TEST_KEY_BITS });
    const errors: unknown[] = [];
    const revoked = tlsPaths(tlsDir).revoked;
    const watch = new RevocationWatch(revoked, () => Date.now(), (e) => errors.push(e));
    expect(watch.isRevoked('AA01')).toBe(false); // no revoked/ folder yet
    revokeCertificates(tlsDir, { serial: 'AA01' }, NOW);
    expect(watch.isRevoked('aa:01')).toBe(true);
    // Revocations faster than the folder's timestamp moves (the kernel's clock tick): the
    // register's file names are the revocations, so plain files stand in for revoke here.
    for (let i = 2; i < 50; i++) {
      const serial = `AA${i.toString(16).toUpperCase().padStart(2, '0')}`;
      writeFileSync(join(revoked, `${serial}.json`), '{}');
      expect(watch.isRevoked(serial), serial).toBe(true);
    }
    expect(watch.isRevoked('AAFF')).toBe(false);
    expect(errors).toEqual([]);
  });

  it('on an open connection, looks again only once its check is older than maxAgeMs', async () => {
    let now = 1_000_000;
    const watch = new RevocationWatch(tlsPaths(tlsDir).revoked, () => now, () => {});
    expect(watch.isRevoked('BB01', 250)).toBe(false);
    revokeCertificates(tlsDir, { serial: 'BB01' }, NOW);
    expect(watch.isRevoked('BB01', 250)).toBe(false);
    now += 250;
    expect(watch.isRevoked('BB01', 250)).toBe(true);
  });
});
