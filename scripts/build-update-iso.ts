/**
 * Builds a signed qkm update ISO from this checkout: the built software packed as the
 * payload (node-tar), the manifest written and signed (Ed25519), the CD image made with
 * xorriso. Run through scripts/build-update-iso, which builds first (see --help).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import * as tar from 'tar';
import { PACKAGE_ROOT } from '../src/config/config.js';
import { KEYSTORE_READABLE_FROM as READABLE_FROM, KEYSTORE_SCHEMA_VERSION } from '../src/engine/index.js';
import { isQkmError } from '../src/errors.js';
import { bundleFolderName, isVersion, loadSigningKey, payloadFileName, sealBundle } from '../src/update/bundle/index.js';

interface Options {
  key: string;
  out: string;
  version: string;
  updatesFrom: string;
  schemaReads: string;
  schemaWrites: string;
  schemaReadableFrom: string;
  nodeModules: boolean;
  staging?: string;
  build: boolean;
}

const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
const program = new Command('build-update-iso')
  .description('Build a signed qkm update ISO from this checkout.')
  .requiredOption('--key <pem>', 'the Ed25519 private key that signs the manifest (scripts/update-test-key/ holds a TEST key)')
  .requiredOption('--out <iso>', 'the ISO image to write')
  .option('--version <v>', 'the version the bundle carries (the payload\'s package.json says it too)', pkg.version)
  .option('--updates-from <v>', 'the lowest installed version it may update', '0.0.0')
  .option('--schema-reads <lo-hi>', 'keystore schema versions this version opens', `1-${KEYSTORE_SCHEMA_VERSION}`)
  .option('--schema-writes <n>', 'the keystore schema version it leaves the keystore at', String(KEYSTORE_SCHEMA_VERSION))
  .option('--schema-readable-from <n>', 'the oldest keystore schema version whose software still opens what it leaves (a rollback needs the installed one\'s)', String(READABLE_FROM))
  .option('--no-node-modules', 'leave the production dependencies out (a bundle to verify, not to run)')
  .option('--staging <dir>', 'build the bundle folder here and keep it (default: a temporary folder, removed)')
  .option('--no-build', 'use dist/ as it is (the wrapper script otherwise builds first)')
  .exitOverride();

try {
  program.parse(process.argv);
  await build(program.opts<Options>());
} catch (e) {
  // commander has already printed its usage line or the help.
  if (e instanceof CommanderError) process.exitCode = e.exitCode;
  else {
    process.stderr.write(`build-update-iso: ${isQkmError(e) ? e.message : (e as Error).message}\n`);
    process.exitCode = 1;
  }
}

async function build(o: Options): Promise<void> {
  for (const [flag, v] of [['--version', o.version], ['--updates-from', o.updatesFrom]] as const) {
    if (!isVersion(v)) throw new Error(`${flag} ${v} is not a version of three whole numbers such as 1.4.0.`);
  }
  const reads = /^(\d+)-(\d+)$/.exec(o.schemaReads);
  if (!reads || !/^\d+$/.test(o.schemaWrites) || !/^\d+$/.test(o.schemaReadableFrom)) throw new Error('--schema-reads takes LO-HI, --schema-writes and --schema-readable-from a number, such as 1-5, 5 and 4.');
  let pem: Buffer;
  try {
    pem = readFileSync(o.key);
  } catch (e) {
    throw new Error(`Cannot read the signing key ${o.key} (${(e as NodeJS.ErrnoException).code}); give the PEM file of an Ed25519 private key.`);
  }
  const key = loadSigningKey(pem);
  if (!existsSync(path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'qkmd.js'))) throw new Error('dist/ is not built; run npm run build first.');
  const staging = o.staging ? path.resolve(o.staging) : mkdtempSync(path.join(os.tmpdir(), 'qkm-update-'));
  try {
    const folder = path.join(staging, bundleFolderName(o.version));
    await fs.mkdir(folder, { recursive: true });
    await packPayload(path.join(folder, payloadFileName(o.version)), o);
    const manifest = await sealBundle(folder, {
      version: o.version,
      updatesFrom: o.updatesFrom,
      keystoreSchema: { reads: [Number(reads[1]), Number(reads[2])], writes: Number(o.schemaWrites), readableFrom: Number(o.schemaReadableFrom) },
      createdAt: new Date().toISOString(),
    }, key);
    makeIso(staging, path.resolve(o.out), `QKM_${o.version.replaceAll('.', '_')}`);
    process.stdout.write(`Wrote ${o.out}: qkm ${manifest.version} (updates ${manifest.updatesFrom} or later), ${manifest.files.map((f) => `${f.name} ${f.size} bytes`).join(', ')}.\n`);
  } finally {
    if (!o.staging) rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The payload is what a slot runs: bin/, config/, the compiled dist/src and dist/drivers,
 * package.json (carrying the bundle's version) and the lock file, and the production
 * dependencies as the lock file lists them (native addons as built on this machine).
 */
async function packPayload(file: string, o: Options): Promise<void> {
  // A stage of links to the checkout, so that only package.json is written anew; tar follows them.
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), 'qkm-payload-'));
  try {
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path.join(stage, 'package.json'), `${JSON.stringify({ ...manifest, version: o.version }, null, 2)}\n`);
    const fromCheckout = ['package-lock.json', 'bin', 'config', 'dist/src', 'dist/drivers', ...(o.nodeModules ? productionModules() : [])];
    for (const p of fromCheckout) {
      await fs.mkdir(path.dirname(path.join(stage, p)), { recursive: true });
      await fs.symlink(path.join(PACKAGE_ROOT, p), path.join(stage, p));
    }
    await tar.c({ gzip: true, portable: true, follow: true, file, cwd: stage }, ['package.json', ...fromCheckout]);
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

/** Top-level packages the lock file does not mark as development-only and that are installed. */
function productionModules(): string[] {
  const lock = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([p, meta]) => p.startsWith('node_modules/') && !p.slice('node_modules/'.length).includes('node_modules/') && meta.dev !== true)
    .map(([p]) => p)
    .filter((p) => existsSync(path.join(PACKAGE_ROOT, p)));
}

function makeIso(root: string, out: string, label: string): void {
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.tmp`);
  const r = spawnSync('xorriso', ['-as', 'mkisofs', '-quiet', '-r', '-J', '-V', label, '-o', tmp, root], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(r.error ? `xorriso cannot run (${(r.error as NodeJS.ErrnoException).code}); install it: apt-get install -y xorriso.` : `xorriso failed: ${r.stderr.trim().split('\n').pop()}`);
  }
  renameSync(tmp, out);
}
