import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isQkmError } from '../../src/errors.js';
import { openIso } from '../../src/update/iso9660/index.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { makeIso, writeTree } from '../helpers/iso-images.js';
import { needsTool } from '../helpers/tools.js';

const xorriso = needsTool('xorriso', 'xorriso', 'test/update/iso9660-fuzz.test.ts');
/** Damaged images tried; scripts/stress.sh runs many more (QKM_ISO_FUZZ). */
const ROUNDS = Number(process.env.QKM_ISO_FUZZ ?? 100);
/** The damage is drawn from a seeded generator, so a failing round can be made again (QKM_ISO_FUZZ_SEED). */
const SEED = Number(process.env.QKM_ISO_FUZZ_SEED ?? 13);

/** xorshift32: small, seeded, and good enough to pick bytes to break. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

let dir: string;
beforeAll(() => {
  dir = tempDir('qkm-iso-fuzz-');
});
afterAll(() => removeDir(dir));

/** Opens the image and reads every file of it, as verifying a CD does; what went wrong, if anything. */
async function readAll(file: string): Promise<unknown> {
  try {
    const img = await openIso(file);
    try {
      for await (const e of img.walk()) if (e.type === 'file') for await (const _ of img.createReadStream(e.path));
    } finally {
      await img.close();
    }
    return null;
  } catch (e) {
    return e;
  }
}

describe.skipIf(xorriso.skip)('ISO reader fuzzing: a real image with random bytes of its descriptors and directories changed', () => {
  it(`${ROUNDS} damaged images: each read ends, with success or an ISO error of one sentence, never another error`, async () => {
    const tree = path.join(dir, 'tree');
    await writeTree(tree, {
      'a/b/c/d/e/f/g/h/i/deep.txt': 'deep\n',
      [`${'long-name-'.repeat(22)}.txt`]: 'long\n',
      'payload/data.bin': randomBytes(50_000),
      ...Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`many/file-${i}.txt`, `file ${i}\n`])),
    });
    const good = await fs.readFile(makeIso('xorriso', tree, path.join(dir, 'good.iso'), ['-R', '-J']));
    // The descriptors and the directory tree (with Rock Ridge's areas) lie before the first file's data.
    const img = await openIso(path.join(dir, 'good.iso'));
    let metadataEnd = good.length;
    for await (const e of img.walk()) if (e.type === 'file' && e.size > 0) metadataEnd = Math.min(metadataEnd, e.extents[0]!.position);
    await img.close();
    const from = 16 * 2048;
    expect(metadataEnd).toBeGreaterThan(from + 4 * 2048);

    const random = generator(SEED);
    const file = path.join(dir, 'damaged.iso');
    const outcomes = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const copy = Buffer.from(good);
      const changes = 1 + (round % 8);
      for (let i = 0; i < changes; i++) {
        const at = from + Math.floor(random() * (metadataEnd - from));
        // Mostly small or extreme values: lengths of 0, 1, 255, and random bytes.
        copy[at] = [0, 1, 0xff, Math.floor(random() * 256)][round % 4]!;
      }
      // Now and then cut the image short as well.
      await fs.writeFile(file, round % 10 === 9 ? copy.subarray(0, Math.floor(random() * copy.length)) : copy);
      const e = await Promise.race([readAll(file), new Promise((_, reject) => setTimeout(() => reject(new Error(`round ${round} of seed ${SEED}: the read did not end within 10 s`)), 10_000).unref())]);
      if (e === null) {
        outcomes.set('read', (outcomes.get('read') ?? 0) + 1);
        continue;
      }
      if (!isQkmError(e) || !e.code.startsWith('ISO_') || !/^[^\n]+\.$/.test(e.message)) {
        throw new Error(`round ${round} of seed ${SEED}: not one ISO error sentence: ${(e as Error)?.stack ?? String(e)}`);
      }
      outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1);
    }
    // Damage is found, not only read past (every tenth image is also cut short).
    expect(ROUNDS - (outcomes.get('read') ?? 0)).toBeGreaterThanOrEqual(Math.floor(ROUNDS / 10));
  }, 30_000 + ROUNDS * 200);
});
