import { IsoError } from '../../errors.js';
import { readDescriptors } from './descriptors.js';
import { capital, damagedError, describeSource, IsoImage, type TreeChoice, truncatedError } from './image.js';
import { parseRecord } from './records.js';
import { readSusp } from './rock-ridge.js';
import { BLOCK, IsoSource } from './source.js';

/**
 * The ISO 9660 reader: the files of a CD or of an image file, read by position, never
 * mounted. Written here because no maintained npm package reads ISO 9660. Every length on
 * the disc is checked before it is used, so a damaged or hostile image is one IsoError
 * sentence (code ISO_NOT_ISO9660, ISO_TRUNCATED, ISO_DAMAGED, ...), never a hang or a
 * huge allocation.
 */
export { IsoImage, MAX_DIRECTORY_BYTES, type Extent, type IsoEntry, type NameSource } from './image.js';

/**
 * Opens an image file or a CD drive's block device (e.g. "/dev/sr0", as the drive lends
 * it). Names come from Rock Ridge when the disc has it, else Joliet, else ISO 9660 (without
 * the ";1" version). `name` is how sentences name it, when its path would not say (a copy
 * of a USB drive's disc). Close the image when done.
 */
export async function openIso(path: string, name?: string): Promise<IsoImage> {
  const src = await IsoSource.open(path, name);
  try {
    return await readVolume(src);
  } catch (e) {
    await src.close();
    throw e;
  }
}

/**
 * The volume label of an image or disc, from its primary volume descriptor; null when it
 * holds no ISO 9660 volume (a blank or foreign disc), which is no error here: a damaged
 * disc still shows its label, and whoever reads it refuses it then.
 */
export async function readVolumeLabel(path: string): Promise<string | null> {
  const src = await IsoSource.open(path);
  try {
    return (await readDescriptors(src)).volume?.label ?? null;
  } finally {
    await src.close();
  }
}

async function readVolume(src: IsoSource): Promise<IsoImage> {
  const where = describeSource(src);
  const { volume: d, problem } = await readDescriptors(src);
  if (!d) throw new IsoError('ISO_NOT_ISO9660', `${capital(where)} holds no ISO 9660 volume; give a CD image (.iso) or a data CD.`);
  if (problem === 'truncated') throw truncatedError(src, 'it ends inside its volume descriptors');
  if (problem === 'no-terminator') throw damagedError(src, 'its volume descriptors have no terminator');
  if (d.blockSize !== BLOCK) throw new IsoError('ISO_UNSUPPORTED', `${capital(where)} uses blocks of ${d.blockSize} bytes, but CDs use ${BLOCK}; make the image with xorriso or genisoimage.`);
  const volumeBytes = d.volumeBlocks * BLOCK;
  if (src.fileSize !== null && src.fileSize < volumeBytes) {
    throw truncatedError(src, `it holds ${src.fileSize} bytes of a ${volumeBytes}-byte volume`);
  }
  src.bound(volumeBytes);
  const damaged = (what: string) => damagedError(src, what);

  const root = parseRecord(d.primaryRoot, 0);
  if (typeof root === 'string') throw damaged(`the root directory record ${root}`);
  if (!root.isDirectory) throw damaged('the root directory record is not a folder');
  const suspSkip = await rockRidgeSkip(src, root.block, damaged);
  let tree: TreeChoice = { names: 'iso9660', root, encoding: 'iso9660', suspSkip };
  if (suspSkip !== null) tree = { ...tree, names: 'rock-ridge' };
  else if (d.jolietRoot) {
    const jroot = parseRecord(d.jolietRoot, 0);
    if (typeof jroot === 'string') throw damaged(`the Joliet root directory record ${jroot}`);
    tree = { names: 'joliet', root: jroot, encoding: 'ucs2', suspSkip: null };
  }
  return new IsoImage(src, d, tree);
}

/**
 * Rock Ridge is in use when the root's "." record starts its System Use area with SUSP's
 * SP entry (IEEE P1281 5.3); its LEN_SKP is then skipped in every other area.
 */
async function rockRidgeSkip(src: IsoSource, rootBlock: number, damaged: (what: string) => IsoError): Promise<number | null> {
  if ((rootBlock + 1) * BLOCK > src.end) throw damaged('the root folder lies past the end of the volume');
  const first = await src.readExact(rootBlock * BLOCK, BLOCK);
  if (!first) throw truncatedError(src, 'it ends before its root folder');
  if (first[0] === 0) throw damaged('the root folder\'s first directory record has a length of 0, where the "." record must be');
  const self = parseRecord(first, 0);
  if (typeof self === 'string') throw damaged(`the root folder's "." record ${self}`);
  // Only the SP entry matters here; continuation areas are followed when names are read.
  const su = await readSusp(self.systemUse, 0, async () => Buffer.alloc(0));
  return typeof su !== 'string' && su.sp ? su.sp.skip : null;
}
