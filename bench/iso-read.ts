/**
 * Verifying an update CD: read every file of a 700 MB ISO image through the ISO 9660
 * reader and hash it (sha256), against `sha256sum` of the whole image in the same run
 * (target: at least 0.8x its speed). The image is made by xorriso from a tree of files of
 * mixed sizes (a few large ones as a payload is, many small ones); the rounds alternate
 * between the two so that a disturbance of the shared machine lands on both alike. Both
 * read from the page cache after a first warming read: what is compared is the reader's
 * cost, not the disk's. A second baseline, the image read as one stream and hashed by this
 * same process, separates the reader's cost from the hash implementation's. On a terminal
 * the reader's rounds draw the progress bar `qkmcmds update` draws (its cost is measured
 * with them); piped, nothing but the figures is printed.
 *
 *   npx tsc -p . && node dist/bench/iso-read.js      (BENCH_ISO_MB=700, BENCH_ISO_ROUNDS=5)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { progressBar } from '../src/cli/progress.js';
import { openIso } from '../src/update/iso9660/index.js';
import { median, report } from './report.js';

const MB = 1024 * 1024;

/** A tree of `totalMb`: four large files (the payload) and 2,000 small ones in 20 folders. */
function makeTree(dir: string, totalMb: number): void {
  const block = randomBytes(MB);
  const large = Math.floor((totalMb - 40) / 4);
  for (let i = 0; i < 4; i++) {
    const parts: Buffer[] = [];
    for (let m = 0; m < large; m++) parts.push(block);
    writeFileSync(path.join(dir, `payload-${i}.bin`), Buffer.concat(parts));
  }
  for (let d = 0; d < 20; d++) {
    const sub = path.join(dir, `lib-${d}`);
    mkdirSync(sub);
    for (let f = 0; f < 100; f++) writeFileSync(path.join(sub, `module-${f}.js`), block.subarray(0, 20 * 1024 + f * 17));
  }
}

/** Every file read and hashed, as an update's verification does, its progress drawn as `qkmcmds update` draws it. */
async function hashEveryFile(iso: string, onProgress: (done: number, total: number) => void): Promise<{ files: number; bytes: number }> {
  const img = await openIso(iso);
  let files = 0;
  let bytes = 0;
  let done = 0;
  let total = 0;
  try {
    for await (const e of img.walk()) if (e.type === 'file') total += e.size;
    for await (const e of img.walk()) {
      if (e.type !== 'file') continue;
      const h = createHash('sha256');
      for await (const chunk of img.createReadStream(e.path)) {
        h.update(chunk as Buffer);
        onProgress((done += (chunk as Buffer).length), total);
      }
      h.digest();
      files++;
      bytes += e.size;
    }
  } finally {
    await img.close();
  }
  return { files, bytes };
}

/** The ceiling for any reader in this process: the image read front to back in one stream, hashed whole. */
async function hashImage(iso: string): Promise<void> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(iso, { highWaterMark: MB })) h.update(chunk as Buffer);
  h.digest();
}

function sha256sum(iso: string): void {
  const r = spawnSync('sha256sum', [iso], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('sha256sum failed');
}

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v xorriso']).status !== 0) {
    console.log('iso-read: xorriso is not installed (apt-get install -y xorriso); skipped.');
    return;
  }
  const totalMb = Number(process.env.BENCH_ISO_MB ?? 700);
  const rounds = Number(process.env.BENCH_ISO_ROUNDS ?? 5);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-iso-'));
  try {
    const tree = path.join(dir, 'tree');
    mkdirSync(tree);
    makeTree(tree, totalMb);
    const iso = path.join(dir, 'update.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', 'QKM_BENCH', '-o', iso, tree], { stdio: 'ignore' });
    const imageBytes = statSync(iso).size;
    sha256sum(iso); // warms the page cache for both
    const ours: number[] = [];
    const theirs: number[] = [];
    const whole: number[] = [];
    let read = { files: 0, bytes: 0 };
    for (let r = 0; r < rounds; r++) {
      let t = process.hrtime.bigint();
      sha256sum(iso);
      theirs.push(imageBytes / MB / (Number(process.hrtime.bigint() - t) / 1e9));
      t = process.hrtime.bigint();
      // On a terminal only (stderr), as qkmcmds draws it: piped, the bench prints its figures alone.
      const bar = progressBar(`verifying, round ${r + 1} of ${rounds}`);
      read = await hashEveryFile(iso, bar.update);
      bar.stop();
      // Speed over the image's size, as sha256sum's: the same job, verifying the disc.
      ours.push(imageBytes / MB / (Number(process.hrtime.bigint() - t) / 1e9));
      t = process.hrtime.bigint();
      await hashImage(iso);
      whole.push(imageBytes / MB / (Number(process.hrtime.bigint() - t) / 1e9));
    }
    console.log(`image ${(imageBytes / MB).toFixed(0)} MiB; ${read.files} files, ${(read.bytes / MB).toFixed(0)} MiB of file data; ${rounds} rounds, medians`);
    report('read + sha256 of every file (ISO reader)', median(ours), 'MiB/s', { name: 'sha256sum of the image', value: median(theirs) }, '>= 0.8x');
    // sha256sum (coreutils) may not use the CPU's SHA instructions, which OpenSSL (node:crypto) does; this is the fairer floor.
    report('read + sha256 of every file (ISO reader)', median(ours), 'MiB/s', { name: 'Node: one stream of the image, hashed', value: median(whole) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
