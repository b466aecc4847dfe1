/**
 * The library's path diagnostics (Ping, Path, Config) against a real qkmd, passing and
 * failing as the manual describes, and its configuration file refused in one sentence.
 */
import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyServer, libraryBundle, startKeyServer, writeLibraryConfig } from '../../harness/library.js';
import { PACKAGE_ROOT } from '../../src/config/config.js';
import { realWorld } from '../../src/engine/index.js';
import { readBundle } from '../../src/library/bundle.js';
import { loadLibraryConfig, parseLibraryConfig } from '../../src/library/config.js';
import { ADVICE, diagnose } from '../../src/library/diagnose.js';
import { SimulatedLibrary } from '../../src/library/library.js';
import { silentLog } from '../../src/logs/logger.js';
import { generateRsaKeyPair } from '../../src/pki/key-pair.js';
import { buildCertificate } from '../../src/pki/x509-builder.js';
import { removeDir, tempDir } from '../helpers/engine.js';

const QKM_LIBRARY = path.join(PACKAGE_ROOT, 'bin', 'qkm-library.js');

function qkmLibrary(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [QKM_LIBRARY, ...args], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('qkm-library diagnose', () => {
  let root: string;
  let server: KeyServer;
  let config: string;

  beforeAll(async () => {
    root = tempDir('qkm-diagnose-');
    server = await startKeyServer(path.join(root, 'a'), { QKM_KEYS_I500: '50' });
    const bundle = await libraryBundle(server.dataDir, 'LIB1', path.join(root, 'LIB1.tgz'));
    config = writeLibraryConfig(path.join(root, 'library.toml'), {
      cls: 'i500', bundle, stateDir: path.join(root, 'library'), ports: [server.port], partitions: { P1: ['D1'] },
    });
    const lib = await SimulatedLibrary.open(loadLibraryConfig(config), realWorld, silentLog);
    await lib.enableEncryption('P1');
    lib.close();
  });
  afterAll(async () => {
    await server?.process.stop();
    removeDir(root);
  });

  it('passes Ping, Path and Config against a running server', async () => {
    const r = await qkmLibrary(['--config', config, 'diagnose']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Ping\s+pass/);
    expect(r.stdout).toMatch(/Path\s+pass/);
    expect(r.stdout).toMatch(/Config\s+pass\s+50 key records checked, none damaged/);
  });

  it('fails Path with the wrong port or another CA\'s certificate, with the advice, and does not run Config', async () => {
    const c = loadLibraryConfig(config);
    const creds = await readBundle(c.bundle);
    const wrongPort = await diagnose([{ role: 'primary', host: '127.0.0.1', port: 1 }], creds, 3000);
    expect(wrongPort[0]!.tests.map((t) => t.passed)).toEqual([true, false, null]);
    expect(wrongPort[0]!.tests[1]).toMatchObject({ detail: expect.stringContaining('nothing listens on that port'), advice: ADVICE.Path });

    const keys = generateRsaKeyPair(2048);
    const now = Date.now();
    const selfSigned = buildCertificate({
      subject: { commonName: 'LIB1' }, issuerPrivateKeyPem: keys.privateKeyPem, subjectPublicKeyPem: keys.publicKeyPem,
      notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 86_400_000), extensions: [{ name: 'extKeyUsage', clientAuth: true }],
    });
    const otherCa = await diagnose(c.servers, { ...creds, cert: Buffer.from(selfSigned), key: Buffer.from(keys.privateKeyPem) }, 3000);
    expect(otherCa[0]!.tests.map((t) => t.passed)).toEqual([true, false, null]);
    expect(otherCa[0]!.tests[1]!.advice).toBe(ADVICE.Path);
  });

  it('fails Config when the server\'s keystore holds a damaged key record, with the manual\'s advice', async () => {
    const db = new Database(path.join(server.dataDir, 'keystore', 'keystore.db'));
    db.pragma('busy_timeout = 10000');
    const victim = db.prepare('SELECT name, sealed FROM keys LIMIT 1').get() as { name: string; sealed: Buffer };
    victim.sealed[3]! ^= 0x40;
    db.prepare('UPDATE keys SET sealed = ? WHERE name = ?').run(victim.sealed, victim.name);
    db.close();
    const r = await qkmLibrary(['--config', config, 'diagnose']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Config\s+FAIL\s+1 problems in 50 key records/);
    expect(r.stdout).toContain(victim.name);
    expect(r.stdout).toContain('restore the server from its most recent backup');
  });
});

describe('qkm-library configuration', () => {
  const file = '/etc/library.toml';
  const good = { class: 'i2000', bundle: 'b.tgz', state_dir: 's', servers: { primary: '10.0.0.5:6000', secondary: 'kms2:6001' }, partition: [{ name: 'P1', drives: ['D1'] }] };
  const refusal = (doc: Record<string, unknown>) => {
    try {
      parseLibraryConfig(doc, file);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('reads a good file: paths relative to it, primary before secondary', () => {
    expect(parseLibraryConfig(good, file)).toMatchObject({
      class: 'i2000', bundle: '/etc/b.tgz', stateDir: '/etc/s', timeoutMs: 5000,
      servers: [{ role: 'primary', host: '10.0.0.5', port: 6000 }, { role: 'secondary', host: 'kms2', port: 6001 }],
    });
  });

  it.each([
    [{ ...good, class: 'i6000' }, 'class must be "i500" or "i2000"'],
    [{ ...good, servers: { primary: '10.0.0.5' } }, 'servers.primary must be "HOST:PORT"'],
    [{ ...good, servers: { primary: '10.0.0.5:70000' } }, 'servers.primary must be "HOST:PORT"'],
    [{ ...good, servers: { primary: '10.0.0.5:6000', tertiary: 'x:1' } }, 'servers.tertiary is not a setting of the library'],
    [{ ...good, partition: [] }, 'no [[partition]] is given'],
    [{ ...good, partition: [{ name: 'P1', drives: ['D1'] }, { name: 'P2', drives: ['D1'] }] }, 'drive D1 is in more than one place'],
    [{ ...good, bundel: 'x' }, 'bundel is not a setting of the library'],
    [{ ...good, bundle: undefined }, 'bundle must name the certificate bundle'],
  ])('refuses a bad setting in one sentence naming it (%#)', (doc, words) => {
    const message = refusal(doc as Record<string, unknown>);
    expect(message).toContain(words);
    expect(message.startsWith(`${file}: `)).toBe(true);
    expect(message.split('. ').length).toBe(1);
  });

  it('the command says one sentence and exits 1 for a file that is not TOML, and changes nothing', async () => {
    const dir = tempDir('qkm-library-config-');
    try {
      const bad = path.join(dir, 'library.toml');
      writeFileSync(bad, 'class = "i500"\nbundle = \n');
      const r = await qkmLibrary(['--config', bad, 'run', '--tapes', '1', '--drives', '1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`qkm-library: ${bad} is not valid TOML at line 2; correct it and try again.\n`);
      expect(r.stdout).toBe('');
      expect(readdirSync(dir)).toEqual(['library.toml']);
    } finally {
      removeDir(dir);
    }
  });
});

describe('config/library.example.toml', () => {
  it('is a configuration the library accepts', () => {
    const c = loadLibraryConfig(path.join(PACKAGE_ROOT, 'config', 'library.example.toml'));
    expect(c).toMatchObject({ class: 'i2000', servers: [{ role: 'primary', port: 6000 }], partitions: [{ name: 'P1' }, { name: 'P2' }] });
  });
});
