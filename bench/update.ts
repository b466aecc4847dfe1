/**
 * Software updates as the box lives them, with a running qkm-launcher and a library's
 * requests: the time from `qkmcmds update` to the new version serving keys (a Create and
 * Get answered), from a failed trial (the new version exits at once) to the old version
 * serving keys again, and from `qkmcmds rollback` to the old version serving. The
 * baseline, in the same run, is a plain restart of the running version (SIGHUP to the
 * launcher) until it serves keys again: what an update costs beyond the restart it needs.
 *
 *   npx tsc -p . && node dist/bench/update.js        (BENCH_UPDATE_ROUNDS=3)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { freePort } from '../harness/free-port.js';
import { type Launched, launch, powerCutAll, until } from '../harness/launcher.js';
import { QKMCMDS } from '../harness/qkmd.js';
import { PACKAGE_ROOT } from '../src/config/config.js';
import { KEYSTORE_SCHEMA_VERSION } from '../src/engine/index.js';
import { readBundle } from '../src/library/bundle.js';
import { KmipConnection } from '../src/library/kmip-connection.js';
import { createForTape, getKey, payloadOf } from '../src/library/requests.js';
import { bundleFolderName, loadSigningKey, payloadFileName, sealBundle } from '../src/update/bundle/index.js';
import { median, report } from './report.js';

const KEY = path.join(PACKAGE_ROOT, 'scripts', 'update-test-key', 'TEST-ONLY-update-signing-key.pem');
const base = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const newer = `${Number(base.split('.')[0]) + 1}.0.0`;
const broken = `${Number(base.split('.')[0]) + 2}.0.0`;
const ENV = { QKM_KEYS_REQUIRE_BACKUP: 'false' };
const literally = (v: string) => v.replaceAll('.', '\\.');

function qkmcmds(dataDir: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [QKMCMDS, '--data-dir', dataDir, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...ENV } });
  if (r.status !== 0) throw new Error(`qkmcmds ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** An update CD whose qkmd exits at once: a release that fails its trial. */
async function brokenIso(dir: string): Promise<string> {
  const pkg = path.join(dir, 'broken-pkg');
  mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'qkm', version: broken, type: 'module' }));
  writeFileSync(path.join(pkg, 'bin', 'qkmd.js'), 'process.exit(3);\n');
  const root = path.join(dir, 'broken-cd');
  const folder = path.join(root, bundleFolderName(broken));
  mkdirSync(folder, { recursive: true });
  await tar.c({ gzip: true, file: path.join(folder, payloadFileName(broken)), cwd: pkg }, ['package.json', 'bin']);
  await sealBundle(folder, { version: broken, updatesFrom: '0.0.0', keystoreSchema: { reads: [1, KEYSTORE_SCHEMA_VERSION], writes: KEYSTORE_SCHEMA_VERSION }, createdAt: new Date().toISOString() }, loadSigningKey(readFileSync(KEY)));
  const iso = path.join(dir, 'broken.iso');
  spawnSync('xorriso', ['-as', 'mkisofs', '-quiet', '-r', '-J', '-o', iso, root], { stdio: 'ignore' });
  return iso;
}

/**
 * Waits until the qkmd of `version` has started (after offset `from` of the launcher's
 * output) and then until a library's Create and Get are answered: keys are being served.
 */
async function servingKeys(l: Launched, from: number, version: string, port: number, creds: Awaited<ReturnType<typeof readBundle>>, tape: string): Promise<void> {
  await until(l, new RegExp(`^qkmd ${literally(version)}: server`, 'm'), 180_000, from);
  const server = { role: 'primary' as const, host: '127.0.0.1', port };
  for (;;) {
    try {
      const conn = await KmipConnection.open(server, creds, 5_000);
      try {
        const a = await conn.request([createForTape(tape, `KID-${tape}`), getKey()]);
        payloadOf(server, a.batchItems[1]);
        return;
      } finally {
        conn.close();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const seconds = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v xorriso']).status !== 0) {
    console.log('update: xorriso is not installed (apt-get install -y xorriso); skipped.');
    return;
  }
  const rounds = Number(process.env.BENCH_UPDATE_ROUNDS ?? 3);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-update-'));
  try {
    const iso = path.join(dir, 'newer.iso');
    const b = spawnSync(path.join(PACKAGE_ROOT, 'scripts', 'build-update-iso'), ['--no-build', '--key', KEY, '--version', newer, '--out', iso], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`build-update-iso: ${b.stderr}`);
    const bad = await brokenIso(dir);
    const dataDir = path.join(dir, 'box');
    mkdirSync(dataDir);
    const port = await freePort();
    const l = launch(dataDir, { ...ENV, QKM_KMIP_PORT: String(port) });
    await until(l, /^running;/m, 120_000);
    qkmcmds(dataDir, 'keys', 'generate', '--library', 'LIB1', '--class', 'i2000');
    qkmcmds(dataDir, 'certs', 'library-bundle', '--library', 'LIB1', '--out', path.join(dir, 'LIB1.tgz'));
    const creds = await readBundle(path.join(dir, 'LIB1.tgz'));
    let tapes = 0;
    const tape = () => `B${String(++tapes).padStart(5, '0')}`;
    await servingKeys(l, 0, base, port, creds, tape());

    const restart: number[] = [];
    const update: number[] = [];
    const rollback: number[] = [];
    const failed: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let mark = l.out().length;
      let t = process.hrtime.bigint();
      process.kill(l.child.pid!, 'SIGHUP');
      await servingKeys(l, mark, base, port, creds, tape());
      restart.push(seconds(t));

      mark = l.out().length;
      t = process.hrtime.bigint();
      qkmcmds(dataDir, 'update', '--iso', iso);
      await servingKeys(l, mark, newer, port, creds, tape());
      update.push(seconds(t));
      await until(l, /is healthy and marked good/, 120_000, mark);

      mark = l.out().length;
      t = process.hrtime.bigint();
      qkmcmds(dataDir, 'rollback', '--iso', iso);
      await servingKeys(l, mark, base, port, creds, tape());
      rollback.push(seconds(t));

      mark = l.out().length;
      qkmcmds(dataDir, 'update', '--iso', bad);
      await until(l, /failed its trial/, 120_000, mark);
      // From the moment the launcher gives the trial up.
      t = process.hrtime.bigint();
      await servingKeys(l, mark, base, port, creds, tape());
      failed.push(seconds(t));
    }
    l.child.kill('SIGTERM');
    await l.exited;
    console.log(`${rounds} rounds, medians; ${tapes} tapes written; update CD ${newer} with its dependencies`);
    const restartMedian = { name: 'restart of the running version', value: median(restart) };
    report('qkmcmds update -> new version serving keys', median(update), 's', restartMedian);
    report('failed trial -> old version serving keys', median(failed), 's', restartMedian);
    report('qkmcmds rollback -> old version serving keys', median(rollback), 's', restartMedian);
  } finally {
    powerCutAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
