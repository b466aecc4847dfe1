import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pykmipUnavailableReason } from '../helpers/pykmip.js';
import {
  prepareLibrary,
  ranSteps,
  runPykmipSteps,
  startQkmdKeyServer,
  stepValue,
  type LibraryFiles,
  type PykmipStep,
  type QkmdKeyServer,
  type StepsRun,
} from '../helpers/qkmd-kmip.js';

/**
 * A general KMIP client (not a tape library) against a real qkmd: PyKMIP's client, with a
 * certificate issued `--role general`, creates and registers keys of every AES length and
 * Triple-DES and registers Secret Data, then reads each back, at 1.1, 1.2, 1.4 and 2.0.
 * Then a raw-TTLV script that does what PostgreSQL's pg_tde and MongoDB's libmongocrypt
 * do (pg-tde-mongo-client.py) runs against the same server.
 */
const VERSIONS = ['1.1', '1.2', '1.4', '2.0'] as const;
type Version = (typeof VERSIONS)[number];
const CLIENT = 'interop-db-1';
const RAW_CLIENT = 'interop-db-2';
const SYSTEM_PYTHON = '/usr/bin/python3';

const unavailable = await pykmipUnavailableReason();
if (unavailable !== undefined && process.env.QKM_REQUIRE_PYKMIP === '1') {
  describe('PyKMIP general client against a running qkmd', () => {
    it('has PyKMIP to run with (QKM_REQUIRE_PYKMIP=1)', () => {
      throw new Error(`QKM_REQUIRE_PYKMIP=1 but PyKMIP cannot run: ${unavailable}`);
    });
  });
}

const KEYS = [
  { id: 'aes128', algorithm: 'AES', length: 128, bytes: 16 },
  { id: 'aes192', algorithm: 'AES', length: 192, bytes: 24 },
  { id: 'aes256', algorithm: 'AES', length: 256, bytes: 32 },
  // PyKMIP counts Triple-DES's parity bits: 192 for the 24 bytes the profiles call 168.
  { id: 'tdes', algorithm: 'TRIPLE_DES', length: 192, bytes: 24 },
] as const;

const material = new Map<string, string>();
const materialOf = (v: Version, id: string): string => {
  const key = `${v}/${id}`;
  if (!material.has(key)) material.set(key, randomBytes(id === 'secret' ? 96 : KEYS.find((k) => k.id === id)!.bytes).toString('hex'));
  return material.get(key)!;
};

function steps(v: Version): PykmipStep[] {
  const out: PykmipStep[] = [];
  for (const k of KEYS) {
    out.push({ id: `create-${k.id}`, op: 'create', algorithm: k.algorithm, length: k.length, name: `gen-${v}-${k.id}` });
    out.push({ id: `get-created-${k.id}`, op: 'get', uid: `@create-${k.id}` });
    out.push({ id: `register-${k.id}`, op: 'register', algorithm: k.algorithm, length: k.length, material: materialOf(v, k.id), name: `reg-${v}-${k.id}` });
    out.push({ id: `get-registered-${k.id}`, op: 'get', uid: `@register-${k.id}` });
  }
  out.push({ id: 'register-secret', op: 'register', secret: true, material: materialOf(v, 'secret'), name: `secret-${v}` });
  out.push({ id: 'activate-secret', op: 'activate', uid: '@register-secret' });
  out.push({ id: 'get-secret', op: 'get', uid: '@register-secret' });
  out.push({ id: 'attributes-secret', op: 'get_attributes', uid: '@register-secret' });
  out.push({ id: 'revoke-secret', op: 'revoke', uid: '@register-secret' });
  out.push({ id: 'destroy-secret', op: 'destroy', uid: '@register-secret' });
  return out;
}

describe.skipIf(unavailable !== undefined)('PyKMIP general client against a running qkmd', () => {
  let dir: string;
  let qkmd: QkmdKeyServer | undefined;
  let files: LibraryFiles;
  let rawFiles: LibraryFiles;
  const runs = new Map<Version, StepsRun>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qkm-interop-general-'));
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    qkmd = await startQkmdKeyServer({ dataDir });
    files = await prepareLibrary({ dataDir, library: CLIENT, dir: join(dir, CLIENT), role: 'general' });
    rawFiles = await prepareLibrary({ dataDir, library: RAW_CLIENT, dir: join(dir, RAW_CLIENT), role: 'general' });
    const done = await Promise.all(VERSIONS.map((v) => runPykmipSteps({ port: qkmd!.port, files, kmipVersion: v, steps: steps(v) })));
    for (const [i, v] of VERSIONS.entries()) runs.set(v, done[i]!);
  });

  afterAll(async () => {
    const code = await qkmd?.stop();
    if (qkmd && code !== 0) console.warn(`qkmd exited with ${code}:\n${qkmd.output().stderr}`);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe.each(VERSIONS)('KMIP %s', (v) => {
    const run = () => ranSteps(runs.get(v));

    it('creates and registers keys of every AES length and Triple-DES, and reads each back as it is', () => {
      const r = run();
      for (const k of KEYS) {
        const created = stepValue(r, `get-created-${k.id}`);
        expect(created).toMatchObject({ object_type: 'SYMMETRIC_KEY', cryptographic_algorithm: k.algorithm, cryptographic_length: k.length, material_bytes: k.bytes });
        const registered = stepValue(r, `get-registered-${k.id}`);
        expect(registered).toMatchObject({ cryptographic_algorithm: k.algorithm, cryptographic_length: k.length, material: materialOf(v, k.id) });
        expect(created.material).not.toBe(registered.material);
      }
    });

    it('registers a 96-byte Secret Data, activates it, reads it back, revokes and destroys it', () => {
      const r = run();
      expect(stepValue(r, 'get-secret')).toMatchObject({ object_type: 'SECRET_DATA', material: materialOf(v, 'secret'), material_bytes: 96 });
      expect(stepValue(r, 'attributes-secret').attributes).toMatchObject({ 'Object Type': 'SECRET_DATA', State: 'ACTIVE' });
      stepValue(r, 'destroy-secret');
    });
  });

  it('a raw-TTLV client does what pg_tde and libmongocrypt do (Register AES-128, Locate by name, Get; Register a 96-byte Secret Data, Activate, Get)', async () => {
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(SYSTEM_PYTHON, [join(import.meta.dirname, 'pg-tde-mongo-client.py'), '--port', String(qkmd!.port), '--ca', rawFiles.ca, '--cert', rawFiles.cert, '--key', rawFiles.key], { timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout: String(stdout), stderr: String(stderr) });
      });
    });
    expect(out.code, out.stderr + out.stdout).toBe(0);
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Record<string, { ok: boolean; [k: string]: unknown }>;
    for (const [step, r] of Object.entries(result)) expect(r.ok, `${step}: ${JSON.stringify(r)}`).toBe(true);
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['pg_tde 1.4', 'pg_tde 2.0', 'libmongocrypt 1.0', 'libmongocrypt 1.2']));
  });
});
