/**
 * Rock Ridge (RRIP, IEEE P1282) on top of SUSP (IEEE P1281): POSIX names and the
 * relocation of deep folders, kept in each directory record's System Use area and in
 * continuation areas elsewhere on the disc. Only what reading the tree needs is decoded:
 * NM (the name), CL/RE (a folder moved away to keep the ISO 9660 tree 8 levels deep),
 * SL/PX (to tell symbolic links and devices from files).
 */

/** A continuation area: where SUSP goes on when a record's own area is full. */
export interface Continuation {
  block: number;
  offset: number;
  length: number;
}

export interface RockRidge {
  /** The POSIX name (NM), null when the record carries none. */
  name: string | null;
  /** RE: this record is the relocated folder itself; its place in the tree is the CL record. */
  relocated: boolean;
  /** CL: this record stands for a folder moved to this block (a file record that is really a folder). */
  childLink: number | null;
  /** SL, or PX saying something other than a file or a folder: nothing a bundle holds. */
  special: boolean;
}

export interface SuspEntries {
  /** SP, in the root's "." record: SUSP is in use, and how many bytes each area starts with that are not SUSP. */
  sp: { skip: number } | null;
  rr: RockRidge;
}

/** Bounds on one record's SUSP, so a damaged or hostile area cannot make the reader loop or hoard memory. */
export const MAX_CONTINUATIONS = 32;
const MAX_NAME_BYTES = 1024;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** Reads a continuation area, or says (the words after "a Rock Ridge area ") why it cannot. */
export type AreaReader = (c: Continuation) => Promise<Buffer | string>;

/**
 * Collects the entries of one record's System Use area and its continuations. Returns a
 * string (the words after "a Rock Ridge area ") when the area is damaged.
 */
export async function readSusp(area: Buffer, skip: number, readArea: AreaReader): Promise<SuspEntries | string> {
  const out: SuspEntries = { sp: null, rr: { name: null, relocated: false, childLink: null, special: false } };
  const nameParts: Buffer[] = [];
  let nameBytes = 0;
  let nameDone = false;
  let current = area.subarray(Math.min(skip, area.length));
  for (let hop = 0; ; hop++) {
    let next: Continuation | null = null;
    let off = 0;
    while (off + 4 <= current.length) {
      const sig = current.toString('latin1', off, off + 2);
      const len = current[off + 2]!;
      // Padding (zeros) or a length that cannot hold the header ends the area.
      if (len < 4) break;
      if (off + len > current.length) return `has an entry ${sig} that runs past its end`;
      const body = current.subarray(off + 4, off + len);
      if (sig === 'ST') break;
      if (sig === 'SP' && body.length >= 3 && body[0] === 0xbe && body[1] === 0xef) out.sp = { skip: body[2]! };
      else if (sig === 'CE' && body.length >= 24) next = { block: body.readUInt32LE(0), offset: body.readUInt32LE(8), length: body.readUInt32LE(16) };
      else if (sig === 'NM' && body.length >= 1 && !nameDone) {
        const flags = body[0]!;
        // CURRENT and PARENT name "." and ".."; they are never a child's name.
        if ((flags & 0x06) === 0) {
          nameBytes += body.length - 1;
          if (nameBytes > MAX_NAME_BYTES) return `holds a name longer than ${MAX_NAME_BYTES} bytes`;
          nameParts.push(body.subarray(1));
        }
        if ((flags & 0x01) === 0) nameDone = true;
      } else if (sig === 'RE') out.rr.relocated = true;
      else if (sig === 'CL' && body.length >= 4) out.rr.childLink = body.readUInt32LE(0);
      else if (sig === 'SL') out.rr.special = true;
      else if (sig === 'PX' && body.length >= 4) {
        const type = body.readUInt32LE(0) & S_IFMT;
        if (type !== S_IFDIR && type !== S_IFREG) out.rr.special = true;
      }
      off += len;
    }
    if (!next) break;
    if (hop + 1 > MAX_CONTINUATIONS) return `goes on through more than ${MAX_CONTINUATIONS} continuation areas (they may loop)`;
    const got = await readArea(next);
    if (typeof got === 'string') return got;
    current = got;
  }
  if (nameParts.length > 0) out.rr.name = Buffer.concat(nameParts).toString('utf8');
  return out;
}
