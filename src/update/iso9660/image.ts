import type { Readable } from 'node:stream';
import { type ErrorCode, IsoError } from '../../errors.js';
import type { NameEncoding, VolumeDescriptors } from './descriptors.js';
import { decodeName, parseRecord, type RawRecord } from './records.js';
import { ExtentStream, type StreamPlan } from './extent-stream.js';
import { type Continuation, readSusp, type RockRidge } from './rock-ridge.js';
import { BLOCK, type IsoSource } from './source.js';

/** One stretch of a file's bytes on the disc; a file over 4 GiB has several (multi-extent). */
export interface Extent {
  /** Byte offset in the image. */
  position: number;
  length: number;
}

export interface IsoEntry {
  /** Absolute, "/" separated, as the tree names it ("/qkm-2.4.0/manifest.json"). */
  path: string;
  name: string;
  /** "other": a symbolic link or device (Rock Ridge), which holds no bytes to read here. */
  type: 'file' | 'directory' | 'other';
  size: number;
  mtime: Date | null;
  extents: readonly Extent[];
}

/** Which names the reader shows: Rock Ridge's POSIX names, else Joliet's, else plain ISO 9660 ones. */
export type NameSource = 'rock-ridge' | 'joliet' | 'iso9660';

interface Node extends IsoEntry {
  interleaved: boolean;
}

export interface TreeChoice {
  names: NameSource;
  root: RawRecord;
  encoding: NameEncoding;
  /** Bytes each System Use area starts with before SUSP (SP's LEN_SKP); null: no Rock Ridge. */
  suspSkip: number | null;
}

/** A directory bigger than this is damage, not a CD: 32 MiB holds some 200,000 names. */
export const MAX_DIRECTORY_BYTES = 32 * 1024 * 1024;
/** readFile holds the whole file; past this, use createReadStream. */
const DEFAULT_READ_FILE_MAX = 64 * 1024 * 1024;
/** Directory blocks read at once. */
const DIR_CHUNK_BLOCKS = 32;
/** Continuation areas are a few hundred bytes; one past this is damage. */
const MAX_AREA_BYTES = 64 * 1024;
/** Listed directories kept, so resolving paths under one folder does not reread it each time. */
const CACHED_DIRECTORIES = 64;

export class IsoImage {
  private readonly cache = new Map<number, Node[]>();
  private readonly rootNode: Node;

  constructor(
    private readonly src: IsoSource,
    private readonly volume: VolumeDescriptors,
    private readonly tree: TreeChoice,
  ) {
    const r = tree.root;
    this.rootNode = { path: '/', name: '', type: 'directory', size: r.size, mtime: r.mtime, extents: [{ position: r.block * BLOCK, length: r.size }], interleaved: false };
  }

  /** The primary volume's label (e.g. "QKM_2_4_0"), null when blank. */
  get volumeLabel(): string | null {
    return this.volume.label;
  }

  get names(): NameSource {
    return this.tree.names;
  }

  /** The volume's size in bytes, as its primary descriptor says. */
  get volumeBytes(): number {
    return this.volume.volumeBlocks * BLOCK;
  }

  async stat(path: string): Promise<IsoEntry> {
    return strip(await this.resolve(path));
  }

  /** The entries of a folder, in the order the disc keeps them (sorted by their ISO 9660 names). */
  async list(path = '/'): Promise<IsoEntry[]> {
    const dir = await this.resolve(path);
    if (dir.type !== 'directory') throw this.refuse('ISO_NOT_A_DIRECTORY', `${dir.path} on ${this.where()} is a file, not a folder`);
    return (await this.children(dir)).map(strip);
  }

  /** Every entry under `path`, depth first. A folder that leads back to one above it is damage. */
  async *walk(path = '/'): AsyncGenerator<IsoEntry, void, undefined> {
    const top = await this.resolve(path);
    if (top.type !== 'directory') throw this.refuse('ISO_NOT_A_DIRECTORY', `${top.path} on ${this.where()} is a file, not a folder`);
    const seen = new Map<number, string>([[top.extents[0]!.position, top.path]]);
    const stack: Node[] = [top];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      const kids = await this.children(dir);
      for (const k of kids) {
        yield strip(k);
        if (k.type !== 'directory') continue;
        const at = k.extents[0]!.position;
        const before = seen.get(at);
        if (before !== undefined) throw this.damaged(`the folder ${k.path} is the folder ${before} again, so its directory records loop`);
        seen.set(at, k.path);
      }
      for (let i = kids.length - 1; i >= 0; i--) if (kids[i]!.type === 'directory') stack.push(kids[i]!);
    }
  }

  /** The whole file in memory; refused past `maxBytes` (64 MiB unless said), where a stream is the way. */
  async readFile(path: string, opts: { maxBytes?: number } = {}): Promise<Buffer> {
    const node = await this.fileNode(path);
    const max = opts.maxBytes ?? DEFAULT_READ_FILE_MAX;
    if (node.size > max) throw this.refuse('ISO_FILE_TOO_LARGE', `${node.path} on ${this.where()} holds ${node.size} bytes, more than the ${max} read at once; read it as a stream`);
    const out = Buffer.allocUnsafe(node.size);
    let at = 0;
    for await (const chunk of new ExtentStream(this.src, async () => this.plan(node))) {
      (chunk as Buffer).copy(out, at);
      at += (chunk as Buffer).length;
    }
    return out;
  }

  /** The file's bytes as a stream, read a megabyte at a time (for hashing files of any size). */
  createReadStream(path: string): Readable {
    return new ExtentStream(this.src, async () => this.plan(await this.fileNode(path)));
  }

  close(): Promise<void> {
    this.cache.clear();
    return this.src.close();
  }

  private async fileNode(path: string): Promise<Node> {
    const node = await this.resolve(path);
    if (node.type === 'directory') throw this.refuse('ISO_NOT_A_FILE', `${node.path} on ${this.where()} is a folder, not a file`);
    if (node.type === 'other') throw this.refuse('ISO_NOT_A_FILE', `${node.path} on ${this.where()} is a link or device, not a file`);
    if (node.interleaved) throw this.refuse('ISO_UNSUPPORTED', `${node.path} on ${this.where()} is recorded interleaved, which this reader does not read`);
    return node;
  }

  private plan(node: Node): StreamPlan {
    return { extents: node.extents, cutShort: (at) => this.truncated(`it ends at byte ${at}, inside ${node.path}`) };
  }

  private async resolve(path: string): Promise<Node> {
    const parts: string[] = [];
    for (const p of path.split('/')) {
      if (p === '' || p === '.') continue;
      if (p === '..') parts.pop();
      else parts.push(p);
    }
    let node = this.rootNode;
    for (const name of parts) {
      if (node.type !== 'directory') throw this.refuse('ISO_NOT_FOUND', `There is no ${path} on ${this.where()}: ${node.path} is a file`, true);
      const next = (await this.children(node)).find((k) => k.name === name);
      if (!next) throw this.refuse('ISO_NOT_FOUND', `There is no ${path} on ${this.where()}`, true);
      node = next;
    }
    return node;
  }

  private async children(dir: Node): Promise<Node[]> {
    const key = dir.extents[0]!.position;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const kids = await this.readDirectory(dir);
    if (this.cache.size >= CACHED_DIRECTORIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, kids);
    return kids;
  }

  /**
   * Reads one directory's records (ECMA-119 6.8.1): they never cross a block, a zero
   * length byte ends a block's records, and a file over 4 GiB is several records with the
   * same name, all but the last flagged "more extents".
   */
  private async readDirectory(dir: Node): Promise<Node[]> {
    const { position: start, length: size } = dir.extents[0]!;
    const at = (what: string) => `${what} of the folder ${dir.path}`;
    if (size > MAX_DIRECTORY_BYTES) throw this.damaged(`${at('the directory')} claims ${size} bytes, more than any CD folder needs`);
    this.withinVolume(start, size, at('the directory'));
    const blocks = Math.ceil(size / BLOCK);
    const out: Node[] = [];
    const names = new Set<string>();
    let pending: { rec: RawRecord; extents: Extent[] } | null = null;
    let first = true;
    for (let b0 = 0; b0 < blocks; b0 += DIR_CHUNK_BLOCKS) {
      const n = Math.min(DIR_CHUNK_BLOCKS, blocks - b0);
      const buf = Buffer.allocUnsafe(n * BLOCK);
      const got = await this.src.readInto(buf, start + b0 * BLOCK);
      if (got < buf.length) throw this.truncated(`it ends at byte ${start + b0 * BLOCK + got}, inside ${at('the directory')}`);
      for (let b = 0; b < n; b++) {
        const block = buf.subarray(b * BLOCK, (b + 1) * BLOCK);
        // The last block is used only up to the directory's length.
        const used = Math.min(BLOCK, size - (b0 + b) * BLOCK);
        let off = 0;
        while (off < used) {
          if (block[off] === 0) {
            if (first) throw this.damaged(`${at('the first directory record')} has a length of 0, where the "." record must be`);
            break;
          }
          const rec = parseRecord(block.subarray(0, used), off);
          if (typeof rec === 'string') throw this.damaged(`a directory record of the folder ${dir.path} ${rec}`);
          off += rec.length;
          if (first && !rec.self) throw this.damaged(`${at('the first directory record')} is not its "." record`);
          first = false;
          if (rec.self || rec.parent) continue;
          if (pending) {
            if (!rec.id.equals(pending.rec.id)) throw this.damaged(`${at('a file')} (${decodeName(pending.rec.id, this.tree.encoding)}) says more of it follows, but the next record is another file`);
            pending.extents.push({ position: rec.block * BLOCK, length: rec.size });
            if (rec.moreExtents) continue;
            const node = await this.node(dir, pending.rec, pending.extents);
            pending = null;
            if (node) add(node);
            continue;
          }
          if (rec.moreExtents && !rec.isDirectory) {
            pending = { rec, extents: [{ position: rec.block * BLOCK, length: rec.size }] };
            continue;
          }
          const node = await this.node(dir, rec, [{ position: rec.block * BLOCK, length: rec.size }]);
          if (node) add(node);
        }
      }
    }
    if (pending) throw this.damaged(`${at('a file')} (${decodeName(pending.rec.id, this.tree.encoding)}) says more of it follows, but the folder ends`);
    if (first) throw this.damaged(`${at('the directory')} is empty, without even its "." record`);
    return out;

    function add(node: Node) {
      // A second record of the same name (damage, or two versions ";1" ";2") is hidden behind the first.
      if (names.has(node.name)) return;
      names.add(node.name);
      out.push(node);
    }
  }

  /** The entry for a record (with its extents), or null for a record that is not shown (a relocated folder's own place). */
  private async node(dir: Node, rec: RawRecord, extents: Extent[]): Promise<Node | null> {
    const rr = await this.rockRidge(rec, dir);
    if (rr?.relocated) return null;
    const name = rr?.name ?? decodeName(rec.id, this.tree.encoding);
    const path = dir.path === '/' ? `/${name}` : `${dir.path}/${name}`;
    if (name === '' || name.includes('/')) throw this.damaged(`the folder ${dir.path} holds an entry named "${name}", which no file can be called`);
    const base = { path, name, mtime: rec.mtime, interleaved: rec.interleaved };
    if (rr?.childLink != null) {
      // A folder moved to keep the ISO 9660 tree shallow: its size is that of its own "." record.
      const self = await this.selfRecord(rr.childLink, path);
      return { ...base, type: 'directory', size: self.size, extents: [{ position: rr.childLink * BLOCK, length: self.size }] };
    }
    if (rec.isDirectory) {
      return { ...base, type: 'directory', size: rec.size, extents };
    }
    const type = rr?.special ? 'other' : 'file';
    for (const e of extents) this.withinVolume(e.position, e.length, `the file ${path}`);
    return { ...base, type, size: extents.reduce((s, e) => s + e.length, 0), extents };
  }

  private async rockRidge(rec: RawRecord, dir: Node): Promise<RockRidge | null> {
    if (this.tree.suspSkip === null) return null;
    const su = await readSusp(rec.systemUse, this.tree.suspSkip, (c) => this.continuation(c));
    if (typeof su === 'string') throw this.damaged(`a Rock Ridge area in the folder ${dir.path} ${su}`);
    return su.rr;
  }

  private async continuation(c: Continuation): Promise<Buffer | string> {
    if (c.offset >= BLOCK || c.length > MAX_AREA_BYTES) return `points to a continuation of ${c.length} bytes at offset ${c.offset} of its block, which no Rock Ridge writer makes`;
    const position = c.block * BLOCK + c.offset;
    if (position + c.length > this.volumeBytes) return `points to a continuation past the end of the volume (byte ${position + c.length} of ${this.volumeBytes})`;
    const got = await this.src.readExact(position, c.length);
    return got ?? `points to a continuation past the end of the image (byte ${position + c.length})`;
  }

  /** The "." record at the start of a directory's first block. */
  private async selfRecord(block: number, path: string): Promise<RawRecord> {
    this.withinVolume(block * BLOCK, BLOCK, `the folder ${path}`);
    const buf = await this.src.readExact(block * BLOCK, BLOCK);
    if (!buf) throw this.truncated(`it ends before the folder ${path}`);
    const rec = parseRecord(buf, 0);
    if (typeof rec === 'string' || !rec.self) throw this.damaged(`the folder ${path} does not start with its "." record`);
    return rec;
  }

  private withinVolume(position: number, length: number, what: string): void {
    if (position + length > this.volumeBytes) {
      throw this.damaged(`${what} reaches byte ${position + length}, past the end of the volume at byte ${this.volumeBytes}`);
    }
  }

  private where(): string {
    return describeSource(this.src);
  }

  private damaged(what: string): IsoError {
    return damagedError(this.src, what);
  }

  private truncated(what: string): IsoError {
    return truncatedError(this.src, what);
  }

  private refuse(code: ErrorCode, sentence: string, asIs = false): IsoError {
    return new IsoError(code, `${asIs ? sentence : capital(sentence)}.`);
  }
}

/** "the CD image /x/u.iso" or "the disc in /dev/sr0": how a message names where the bytes are. */
export function describeSource(src: IsoSource): string {
  return src.name ?? (src.fileSize === null ? `the disc in ${src.path}` : `the CD image ${src.path}`);
}

/** ISO_DAMAGED: `what` says which record is wrong and how. */
export function damagedError(src: IsoSource, what: string): IsoError {
  return new IsoError('ISO_DAMAGED', `${capital(describeSource(src))} is damaged: ${what}; copy or burn it again.`);
}

/** ISO_TRUNCATED: the bytes end before what the volume says is there. */
export function truncatedError(src: IsoSource, what: string): IsoError {
  return new IsoError('ISO_TRUNCATED', `${capital(describeSource(src))} is cut short: ${what}; copy or burn it again.`);
}

export function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function strip(n: Node): IsoEntry {
  return { path: n.path, name: n.name, type: n.type, size: n.size, mtime: n.mtime, extents: n.extents };
}
