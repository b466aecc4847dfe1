import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isQkmError } from '../../src/errors.js';
import { type IsoImage, openIso, readVolumeLabel } from '../../src/update/iso9660/index.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { makeIso, recordOffset, sha256, type TreeSpec, writeBoth32, writeTree } from '../helpers/iso-images.js';
import { needsTool } from '../helpers/tools.js';

const xorriso = needsTool('xorriso', 'xorriso', 'test/update/iso9660.test.ts');
const genisoimage = needsTool('genisoimage', 'genisoimage', 'test/update/iso9660.test.ts');

const LONG = `${'a-rather-long-name-'.repeat(6)}that-no-8.3-or-joliet-name-can-hold.txt`; // 152 characters
/** Long enough that its Rock Ridge NM entry does not fit in the record and goes on in a continuation area. */
const LONGEST = `${'n'.repeat(200)}-${'é'.repeat(20)}.bin`;
const DEEP = 'l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12';

const SPEC: TreeSpec = {
  'README.txt': 'read me\n',
  'Mixed Case Folder/manifest.json': '{"version":"2.4.0"}\n',
  [LONG]: 'long\n',
  [LONGEST]: 'longest\n',
  [`${DEEP}/deep.txt`]: 'twelve levels down\n',
  'payload/qkm.tgz': randomBytes(700_000),
  'payload/empty': '',
  'link-to-readme': { link: 'README.txt' },
};

let dir: string;
let tree: string;

beforeAll(async () => {
  dir = await tempDir('qkm-iso-');
  tree = path.join(dir, 'tree');
  await writeTree(tree, SPEC);
});
afterAll(async () => removeDir(dir));

/** Every file of the image with its content's sha256, and every folder, by path. */
async function contents(img: IsoImage): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of img.walk()) {
    if (e.type === 'directory') out[`${e.path}/`] = 'dir';
    else if (e.type === 'file') out[e.path] = sha256(await img.readFile(e.path));
    else out[e.path] = 'other';
  }
  return out;
}

/** What the tree holds, as contents() reports it, with folders; names through `rename`. */
function expected(rename: (p: string) => string = (p) => p, skip: (p: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, content] of Object.entries(SPEC)) {
    if (skip(rel)) continue;
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) out[`/${rename(parts.slice(0, i).join('/'))}/`] = 'dir';
    out[`/${rename(rel)}`] = typeof content === 'object' && 'link' in content ? 'other' : sha256(Buffer.from(content as string | Buffer));
  }
  return out;
}

/** Where the data of each path starts in the image, to damage it on purpose. */
async function positions(iso: string, paths: string[]): Promise<number[]> {
  const img = await openIso(iso);
  try {
    return await Promise.all(paths.map(async (p) => (await img.stat(p)).extents[0]!.position));
  } finally {
    await img.close();
  }
}

/** An IsoError with this code whose message is one sentence. */
function oneSentence(code: string, words: RegExp) {
  return (e: unknown) => {
    if (!isQkmError(e) || e.code !== code) throw new Error(`expected ${code}, got ${String(e)}`);
    expect(e.message).toMatch(words);
    expect(e.message).toMatch(/^[^\n]+\.$/);
    expect(e.message.split('. ').length).toBe(1);
    return true;
  };
}

describe.skipIf(xorriso.skip)('ISO 9660 reader on images made by xorriso', () => {
  it('Rock Ridge and Joliet (xorriso -R -J): POSIX names, long and deep, every byte; Rock Ridge wins; the label', async () => {
    const iso = makeIso('xorriso', tree, path.join(dir, 'rr-joliet.iso'), ['-R', '-J', '-V', 'QKM_2_4_0']);
    const img = await openIso(iso);
    try {
      expect(img.volumeLabel).toBe('QKM_2_4_0');
      expect(img.names).toBe('rock-ridge');
      expect(await contents(img)).toEqual(expected());
      expect((await img.stat(`/${LONGEST}`)).name).toBe(LONGEST);
      const list = await img.list('/payload');
      expect(list.map((e) => [e.name, e.type, e.size])).toEqual([['empty', 'file', 0], ['qkm.tgz', 'file', 700_000]]);
      expect(await readVolumeLabel(iso)).toBe('QKM_2_4_0');
    } finally {
      await img.close();
    }
  });

  it('streams a file in chunks with the same bytes as the file; readFile refuses one past its bound', async () => {
    const iso = makeIso('xorriso', tree, path.join(dir, 'stream.iso'), ['-R']);
    const img = await openIso(iso);
    try {
      const chunks: Buffer[] = [];
      for await (const c of img.createReadStream('/payload/qkm.tgz')) chunks.push(c as Buffer);
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(SPEC['payload/qkm.tgz'] as Buffer));
      await expect(img.readFile('/payload/qkm.tgz', { maxBytes: 1000 })).rejects.toSatisfy(oneSentence('ISO_FILE_TOO_LARGE', /holds 700000 bytes, more than the 1000 read at once/));
      const stream = img.createReadStream('/payload/nothing-here');
      await expect(new Promise((_, reject) => stream.on('error', reject).resume())).rejects.toSatisfy(oneSentence('ISO_NOT_FOUND', /^There is no \/payload\/nothing-here on the CD image .*stream\.iso\.$/));
      await expect(img.readFile('/payload')).rejects.toSatisfy(oneSentence('ISO_NOT_A_FILE', /\/payload on the CD image .* is a folder, not a file\./));
      await expect(img.list('/README.txt')).rejects.toSatisfy(oneSentence('ISO_NOT_A_DIRECTORY', /is a file, not a folder/));
    } finally {
      await img.close();
    }
  });

  it('a file in several extents (the form of a file over 4 GiB): one file, its bytes in order', async () => {
    // xorriso splits only past 4 GiB - 2 KiB; scripts/stress.sh makes such a file. Here a real
    // image's file record is split in two records, all but the last flagged "more extents", as
    // xorriso writes them.
    const small = path.join(dir, 'multi-tree');
    const content = randomBytes(300_000);
    await writeTree(small, { 'big.bin': content, 'z.txt': 'after\n' });
    const iso = makeIso('xorriso', small, path.join(dir, 'multi.iso'), ['-R']);
    const image = await fs.readFile(iso);
    const root = (await positions(iso, ['/']))[0]!;
    const at = recordOffset(image, root, 'BIG.BIN;1');
    const rec = Buffer.from(image.subarray(at, at + image[at]!));
    const first = Buffer.from(rec);
    writeBoth32(first, 10, 100 * 2048);
    first[25]! |= 0x80;
    const second = Buffer.from(rec);
    writeBoth32(second, 2, rec.readUInt32LE(2) + 100);
    writeBoth32(second, 10, 300_000 - 100 * 2048);
    const blockEnd = root + 2048;
    const rest = image.subarray(at + rec.length, blockEnd);
    const patched = Buffer.concat([first, second, rest]).subarray(0, blockEnd - at);
    expect(rest.subarray(rest.length - rec.length).every((b) => b === 0)).toBe(true); // the block had room
    patched.copy(image, at);
    const out = path.join(dir, 'multi-extent.iso');
    await fs.writeFile(out, image);
    const img = await openIso(out);
    try {
      const big = await img.stat('/big.bin');
      expect(big.size).toBe(300_000);
      expect(big.extents).toHaveLength(2);
      expect(sha256(await img.readFile('/big.bin'))).toBe(sha256(content));
      expect((await img.list('/')).map((e) => e.name)).toEqual(['big.bin', 'z.txt']);
    } finally {
      await img.close();
    }
  });
});

describe.skipIf(genisoimage.skip)('ISO 9660 reader on images made by genisoimage', () => {
  it('Joliet only (-J): mixed-case names up to Joliet\'s 64 characters', async () => {
    // Without Rock Ridge genisoimage refuses folders deeper than 8 (ISO 9660's limit) and skips links.
    const iso = makeIso('genisoimage', tree, path.join(dir, 'joliet.iso'), ['-J', '-joliet-long', '-V', 'JOLIET', '-m', 'l1']);
    const img = await openIso(iso);
    try {
      expect(img.names).toBe('joliet');
      const joliet = (p: string) => p.split('/').map((n) => n.slice(0, 103)).join('/');
      expect(await contents(img)).toEqual(expected(joliet, (p) => p.startsWith('link') || p.startsWith('l1/')));
    } finally {
      await img.close();
    }
  });

  it('Rock Ridge only (-R): names, and folders past 8 levels relocated by genisoimage (CL/RE) at their real place', async () => {
    const iso = makeIso('genisoimage', tree, path.join(dir, 'rr.iso'), ['-R']);
    const img = await openIso(iso);
    try {
      expect(img.names).toBe('rock-ridge');
      const got = await contents(img);
      // genisoimage keeps its relocation folder, empty once the relocated folders are shown in place.
      expect(got['/rr_moved/']).toBe('dir');
      delete got['/rr_moved/'];
      expect(got).toEqual(expected());
      expect(await img.list('/rr_moved')).toEqual([]);
    } finally {
      await img.close();
    }
  });

  it('plain ISO 9660 (no extensions): upper-case 8.3 names without their ";1" version', async () => {
    const iso = makeIso('genisoimage', tree, path.join(dir, 'plain.iso'), ['-D', '-V', 'PLAIN']);
    const img = await openIso(iso);
    try {
      expect(img.names).toBe('iso9660');
      const names = (await img.list('/')).map((e) => e.name);
      expect(names).toContain('README.TXT');
      expect(names.every((n) => !n.includes(';') && !n.endsWith('.'))).toBe(true);
      expect((await img.readFile('/L1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/DEEP.TXT')).toString()).toBe('twelve levels down\n');
      expect((await img.readFile('/PAYLOAD/EMPTY')).length).toBe(0);
    } finally {
      await img.close();
    }
  });
});

describe.skipIf(xorriso.skip)('a damaged image is one sentence with a code, never a hang', () => {
  let good: Buffer;
  let where: { root: number; a: number; b: number; payload: number };

  beforeAll(async () => {
    const iso = makeIso('xorriso', tree, path.join(dir, 'good.iso'), ['-R', '-V', 'GOOD']);
    good = await fs.readFile(iso);
    const [root, a, b, payload] = await positions(iso, ['/', '/l1', '/l1/l2', '/payload']);
    where = { root: root!, a: a!, b: b!, payload: payload! };
  });

  async function damaged(name: string, change: (img: Buffer) => Buffer | undefined): Promise<string> {
    const copy = Buffer.from(good);
    const out = path.join(dir, name);
    await fs.writeFile(out, change(copy) ?? copy);
    return out;
  }

  /** Opens the image and reads everything in it, as verifying an update CD does. */
  async function readAll(file: string): Promise<void> {
    const img = await openIso(file);
    try {
      for await (const e of img.walk()) if (e.type === 'file') for await (const _ of img.createReadStream(e.path));
    } finally {
      await img.close();
    }
  }

  it('not an ISO 9660 volume: ISO_NOT_ISO9660, and no label', async () => {
    const file = path.join(dir, 'random.bin');
    await fs.writeFile(file, randomBytes(100_000));
    await expect(openIso(file)).rejects.toSatisfy(oneSentence('ISO_NOT_ISO9660', /random\.bin holds no ISO 9660 volume; give a CD image \(\.iso\) or a data CD\./));
    expect(await readVolumeLabel(file)).toBeNull();
    await expect(openIso(path.join(dir, 'missing.iso'))).rejects.toSatisfy(oneSentence('ISO_UNREADABLE', /Cannot open .*missing\.iso to read it as a CD image/));
  });

  it('truncated: cut inside the descriptors, and cut half-way through the files', async () => {
    await expect(readAll(await damaged('cut-early.iso', (b) => b.subarray(0, 17 * 2048 + 100)))).rejects.toSatisfy(oneSentence('ISO_TRUNCATED', /is cut short: it ends inside its volume descriptors; copy or burn it again\./));
    const half = await damaged('cut-half.iso', (b) => b.subarray(0, Math.floor(b.length / 2)));
    await expect(readAll(half)).rejects.toSatisfy(oneSentence('ISO_TRUNCATED', new RegExp(`is cut short: it holds ${Math.floor(good.length / 2)} bytes of a ${good.length}-byte volume`)));
    // The label is still there to say which disc it is.
    expect(await readVolumeLabel(half)).toBe('GOOD');
  });

  it('a folder whose record points back to a folder above it: a loop, found at once', async () => {
    const file = await damaged('loop.iso', (b) => {
      writeBoth32(b, recordOffset(b, where.b, 'L3') + 2, where.a / 2048);
      return b;
    });
    await expect(readAll(file)).rejects.toSatisfy(oneSentence('ISO_DAMAGED', /the folder \/l1\/l2\/l3 is the folder \/l1 again, so its directory records loop/));
  });

  it('lengths past the end: a file, a folder, a folder of a gigabyte', async () => {
    const big = await damaged('file-past-end.iso', (b) => {
      writeBoth32(b, recordOffset(b, where.payload, 'QKM.TGZ;1') + 10, 0xfff00000);
      return b;
    });
    await expect(readAll(big)).rejects.toSatisfy(oneSentence('ISO_DAMAGED', /the file \/payload\/qkm\.tgz reaches byte \d+, past the end of the volume at byte \d+/));
    const folder = await damaged('dir-past-end.iso', (b) => {
      writeBoth32(b, recordOffset(b, where.root, 'L1') + 2, good.length / 2048 - 1);
      writeBoth32(b, recordOffset(b, where.root, 'L1') + 10, 8192);
      return b;
    });
    await expect(readAll(folder)).rejects.toSatisfy(oneSentence('ISO_DAMAGED', /the directory of the folder \/l1 reaches byte \d+, past the end of the volume/));
    const huge = await damaged('dir-huge.iso', (b) => {
      writeBoth32(b, recordOffset(b, where.root, 'L1') + 10, 1 << 30);
      return b;
    });
    await expect(readAll(huge)).rejects.toSatisfy(oneSentence('ISO_DAMAGED', /the directory of the folder \/l1 claims 1073741824 bytes, more than any CD folder needs/));
  });

  it('record lengths of 0 and too short where a record must be', async () => {
    const zero = await damaged('zero.iso', (b) => {
      b[where.b] = 0;
      return b;
    });
    await expect(readAll(zero)).rejects.toSatisfy(oneSentence('ISO_DAMAGED', /the first directory record of the folder \/l1\/l2 has a length of 0, where the "\." record must be/));
    const rootZero = await damaged('root-zero.iso', (b) => {
      b[16 * 2048 + 156] = 0;
      return b;
    });
    await expect(readAll(rootZero)).rejects.toSatisfy(oneSentence('ISO_DAMAGED', /the root directory record is 0 bytes long, shorter than the 34 every record needs/));
    const short = await damaged('short.iso', (b) => {
      b[recordOffset(b, where.root, 'README.TXT;1')] = 20;
      return b;
    });
    await expect(readAll(short)).rejects.toSatisfy(oneSentence('ISO_DAMAGED', /a directory record of the folder \/ is 20 bytes long/));
  });

  it('a Rock Ridge continuation area that continues into itself ends after 32, as damage', async () => {
    const file = await damaged('ce-loop.iso', (b) => {
      // The longest name's NM goes on in a continuation area: point its CE at an area (in the
      // unused system area, block 1) that holds only a CE to itself.
      const name = b.indexOf('nnnnnnnnnnnnnnnn', where.root, 'latin1');
      const ce = b.indexOf(Buffer.from('CE\x1c\x01', 'latin1'), name);
      expect(ce).toBeLessThan(where.root + 2048);
      writeBoth32(b, ce + 4, 1);
      writeBoth32(b, ce + 12, 0);
      writeBoth32(b, ce + 20, 28);
      b.copy(b, 2048, ce, ce + 28);
      return b;
    });
    await expect(readAll(file)).rejects.toSatisfy(oneSentence('ISO_DAMAGED', /a Rock Ridge area in the folder \/ goes on through more than 32 continuation areas \(they may loop\)/));
  });
});
