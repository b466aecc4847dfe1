import { BLOCK, type IsoSource } from './source.js';

/** The volume descriptor set starts at block 16, after the system area. */
const FIRST_DESCRIPTOR = 16;
/** A real set holds a handful (boot, primary, Joliet, terminator); past this many the image is not one we read. */
const MAX_DESCRIPTORS = 64;

const TYPE_PRIMARY = 1;
const TYPE_SUPPLEMENTARY = 2;
const TYPE_TERMINATOR = 255;

/** Which names a directory tree carries: Joliet's are UCS-2, the primary tree's are ISO 9660 d-characters. */
export type NameEncoding = 'iso9660' | 'ucs2';

export interface VolumeDescriptors {
  /** The primary volume's label (bytes 40-71), trimmed; null when blank. */
  label: string | null;
  /** Logical blocks the volume holds, by its primary descriptor. */
  volumeBlocks: number;
  blockSize: number;
  /** The 34-byte directory record of the primary tree's root (with Rock Ridge, if any, in its "." entry). */
  primaryRoot: Buffer;
  /** The Joliet tree's root record, when the image has one. */
  jolietRoot: Buffer | null;
}

/** Why the bytes at block 16 are not an ISO 9660 volume, or null when they are one. */
export type DescriptorProblem = 'not-iso9660' | 'truncated' | 'no-terminator';

/**
 * Reads the volume descriptor set (ECMA-119 8.1): the primary descriptor and a Joliet
 * supplementary one. `volume` is there whenever a primary descriptor was read, even when
 * the set is damaged after it (`problem`), so that a damaged disc still shows its label.
 */
export async function readDescriptors(src: IsoSource): Promise<{ volume: VolumeDescriptors | null; problem: DescriptorProblem | null }> {
  let primary: Buffer | null = null;
  let jolietRoot: Buffer | null = null;
  let problem: DescriptorProblem | null = null;
  for (let i = 0; ; i++) {
    if (i === MAX_DESCRIPTORS) {
      problem = 'no-terminator';
      break;
    }
    const d = await src.readExact((FIRST_DESCRIPTOR + i) * BLOCK, BLOCK);
    if (d?.toString('latin1', 1, 6) !== 'CD001') {
      problem = !primary ? 'not-iso9660' : d ? 'no-terminator' : 'truncated';
      break;
    }
    const type = d[0]!;
    if (type === TYPE_TERMINATOR) break;
    if (type === TYPE_PRIMARY && !primary) primary = d;
    if (type === TYPE_SUPPLEMENTARY && !jolietRoot && isJoliet(d)) jolietRoot = Buffer.from(d.subarray(156, 190));
  }
  if (!primary) return { volume: null, problem: 'not-iso9660' };
  const label = primary.toString('latin1', 40, 72).trim();
  const volume = {
    label: label === '' ? null : label,
    volumeBlocks: primary.readUInt32LE(80),
    blockSize: primary.readUInt16LE(128),
    primaryRoot: Buffer.from(primary.subarray(156, 190)),
    jolietRoot,
  };
  return { volume, problem };
}

/** Joliet marks its supplementary descriptor with the UCS-2 escape sequence %/@, %/C or %/E (levels 1-3). */
function isJoliet(d: Buffer): boolean {
  const esc = d.subarray(88, 91);
  return esc[0] === 0x25 && esc[1] === 0x2f && (esc[2] === 0x40 || esc[2] === 0x43 || esc[2] === 0x45);
}
