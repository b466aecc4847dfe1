import { execFileSync, spawn, } from 'node:child_process';
import { lstatSync, watch, mkdirSync, readdirSync, readFileSync, } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServerCredentials } from '../../src/pki/index.js';
import { QKMCMDS, qkmcmds } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { fillDisk, mountTmpfs, tmpfsUnavailable, unmount } from '../helpers/tmpfs.js';
import { TEST_KEY_BITS } from '../helpers/tls-fixtures.js';

/**
 * `qkmcmds certs library-bundle` as a user runs it: a place --out cannot be written is one
 * sentence and leaves nothing, and a run killed at any moment leaves no private key in the
 * data directory (npm test kills a few; scripts/stress.sh sets QKM_BUNDLE_KILLS higher).
 */
const KILLS = Number(process.env.QKM_BUNDLE_KILLS ?? 4);

let root: string;
let dataDir: string;
let tlsDir: string;

beforeAll(async () => {
  root = tempDir('qkm-bundle-cli-');
  dataDir = join(root, 'data');
  tlsDir = join(dataDir, 'tls');
  // The CA qkmd would create on its first start.
  await ensureServerCredentials(tlsDir, { hostname: 'qkmserver', now: new Date(), keyBits: TEST_KEY_BITS });
});
afterAll(() => removeDir(root));

const bundle = (out: string) => qkmcmds(['--data-dir', dataDir, 'certs', 'library-bundle', '--library', 'LIB1', '--out', out]);
const issuedCount = () => {
  try {
    return readdirSync(join(tlsDir, 'issued')).length;
  } catch {
    return 0;
  }
};

/** Every file under `dir` holding a PEM private key, but the appliance's own two. */
function privateKeysUnder(dir: string): string[] {
  const found: string[] = [];
  const own = new Set(['ca.key', 'server.key', 'server-ecdsa.key'].map((f) => join(tlsDir, f)));
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && !own.has(p) && readFileSync(p).includes('PRIVATE KEY')) found.push(p);
    }
  };
  walk(dir);
  return found;
}

const cannotMount = tmpfsUnavailable();

describe('certs library-bundle --out where it cannot write', () => {
  const refusedCleanly = (out: string, said: RegExp, parent: string) => {
    const before = issuedCount();
    const listed = readdirSync(parent);
    const r = bundle(out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(said);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(readdirSync(parent)).toEqual(listed);
    expect(issuedCount()).toBe(before);
  };

  it('a folder', () => {
    const folder = join(root, 'somewhere');
    mkdirSync(folder);
    refusedCleanly(folder, new RegExp(`^qkmcmds: ${folder} is a folder; give --out a file name`), folder);
  });

  it('a missing parent folder, which it does not create', () => {
    refusedCleanly(join(root, 'no', 'such', 'LIB1.tgz'), /^qkmcmds: The folder \S+\/no\/such does not exist/, root);
    expect(readdirSync(root)).not.toContain('no');
  });

  it.skipIf(cannotMount !== undefined)('a read-only file system', () => {
    const ro = join(root, 'ro');
    mkdirSync(ro);
    expect(mountTmpfs(ro, 64 * 1024)).toBeUndefined();
    try {
      execFileSync('mount', ['-o', 'remount,ro', ro]);
      refusedCleanly(join(ro, 'LIB1.tgz'), /^qkmcmds: Cannot write in \S+ \(the file system is read-only\)/, ro);
    } finally {
      unmount(ro);
    }
  });

  it.skipIf(cannotMount !== undefined)('a full disk', () => {
    const full = join(root, 'full');
    mkdirSync(full);
    expect(mountTmpfs(full, 8 * 1024)).toBeUndefined();
    try {
      fillDisk(full);
      refusedCleanly(join(full, 'LIB1.tgz'), /^qkmcmds: Cannot write \S+ \(the disk is full\); nothing was written/, full);
    } finally {
      unmount(full);
    }
  });
});

describe('certs library-bundle killed with SIGKILL', () => {
  it(`leaves no private key in the data directory (${KILLS} kills), and the next run cleans up beside --out`, async () => {
    const outDir = join(root, 'bundles');
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, 'LIB1.tgz');
    const started = Date.now();
    expect(bundle(join(outDir, 'first.tgz')).code).toBe(0); // so the register folder exists to be watched
    const runMs = Date.now() - started;
    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      // Kill at the first change under the TLS folder (the issued certificate's register
      // entry), at the first change beside --out (the bundle), or at a random moment of a run.
      const where = [tlsDir, outDir, undefined][i % 3];
      const child = spawn(process.execPath, [QKMCMDS, '--data-dir', dataDir, 'certs', 'library-bundle', '--library', 'LIB1', '--out', out], {
        env: { PATH: process.env.PATH ?? '' },
        stdio: 'ignore',
      });
      const kill = () => child.kill('SIGKILL');
      const watcher = where === undefined ? undefined : watch(where, { recursive: true }, kill);
      const timer = setTimeout(kill, where === undefined ? Math.random() * runMs : 20_000);
      await new Promise((resolve) => child.on('close', resolve));
      clearTimeout(timer);
      if (child.signalCode === 'SIGKILL') killed++;
      watcher?.close();
      expect(privateKeysUnder(dataDir), `after kill ${i + 1}`).toEqual([]);
      expect(readdirSync(tlsDir).filter((n) => n.startsWith('.bundle-'))).toEqual([]);
    }
    expect(killed).toBeGreaterThan(0);
    const r = bundle(out);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(outDir).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(privateKeysUnder(dataDir)).toEqual([]);
  }, 60_000 + KILLS * 10_000);
});

describe('certs library-bundle --role', () => {
  it('issues a general client\'s certificate, its role in the certificate and in certs list; a role that is none is one sentence and issues nothing', () => {
    const out = join(root, 'general.tgz');
    const made = qkmcmds(['--data-dir', dataDir, 'certs', 'library-bundle', '--library', 'pgdb-1', '--role', 'general', '--out', out]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('for general client pgdb-1');
    const listed = JSON.parse(qkmcmds(['--data-dir', dataDir, 'certs', 'list', '--json']).stdout) as { library: string; role: string }[];
    expect(listed.filter((r) => r.library === 'pgdb-1').map((r) => r.role)).toEqual(['general']);
    expect(listed.filter((r) => r.library === 'LIB1').every((r) => r.role === 'library')).toBe(true);
    // The role is in the certificate itself, where the key server reads it at the handshake.
    const issued = readdirSync(join(tlsDir, 'issued')).find((n) => n.startsWith('pgdb-1-'))!;
    const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-in', join(tlsDir, 'issued', issued)], { encoding: 'utf8' });
    expect(subject).toMatch(/OU ?= ?qkm general client/);
    expect(qkmcmds(['--data-dir', dataDir, 'certs', 'list']).stdout).toMatch(/pgdb-1\s+general\s+/);

    const before = issuedCount();
    const bad = qkmcmds(['--data-dir', dataDir, 'certs', 'library-bundle', '--library', 'pgdb-2', '--role', 'database', '--out', join(root, 'bad.tgz')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual(['qkmcmds: "database" is not a role: give --role library for a tape library or --role general for any other KMIP client.']);
    expect(issuedCount()).toBe(before);
  });
});
