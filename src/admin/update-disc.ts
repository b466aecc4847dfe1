/**
 * The update CD in one of the running qkmd's drives, as `qkmcmds update` and the menu's
 * update item both read it: each front end only brings its way of asking and saying.
 */
import { rmSync } from 'node:fs';
import { QkmError } from '../errors.js';
import { BUILTIN_DRIVE, type UpdateDrive, driveName } from '../hardware/update-drives.js';
import type { BundleSource } from '../update/bundle/index.js';
import { discInDrive, updateDrives, withIsoImage } from './update.js';

/** How a front end talks to the person at it: `ask` answers null when input has ended. */
export interface DiscPrompt {
  ask(question: string): Promise<string | null>;
  say(line: string): void;
}

export interface DiscChoice {
  /** What the person is asked to load ("the update CD", "the CD of the version installed now"). */
  wanted: string;
  /** A drive named by the person (`--drive`); else the one holding a disc. */
  chosen?: string;
  prompt: DiscPrompt;
}

/**
 * Reads the disc (see `discFromDrives`), runs `use` on it and always closes it again; the
 * copy qkmd made of a USB drive's disc is removed afterwards. QKMD_NOT_RUNNING goes to the
 * caller, whose words say what else the person may do.
 */
export async function withUpdateDisc<T>(dataDir: string, o: DiscChoice, use: (source: BundleSource) => Promise<T>): Promise<T> {
  const disc = await discFromDrives(dataDir, o);
  try {
    return await withIsoImage(disc.path, use, disc.description, disc.copied === true);
  } finally {
    if (disc.copied) rmSync(disc.path, { force: true });
  }
}

/**
 * The disc in `chosen`, else in the one drive holding a disc; when several do, the person
 * says which. With no disc it asks, as the manual's procedure does, for the CD and Enter,
 * again until one is loaded, or `q` to quit.
 */
async function discFromDrives(dataDir: string, o: DiscChoice): Promise<{ path: string; description: string; copied?: true }> {
  const { chosen, prompt } = o;
  for (;;) {
    const drives = await updateDrives(dataDir);
    if (chosen !== undefined && !drives.some((d) => d.id === chosen)) throw unknownDrive(chosen, drives);
    const loaded = drives.filter((d) => d.media !== null && (chosen === undefined || d.id === chosen));
    const pick = loaded.length > 1 ? await whichDrive(loaded, prompt) : loaded[0];
    // With no disc anywhere, the one drive there is (or the built-in one, which says the box has none) words the refusal.
    const id = pick?.id ?? chosen ?? (drives.length === 1 ? drives[0]!.id : drives.length === 0 ? BUILTIN_DRIVE : undefined);
    let refusal = `None of the drives (${drives.map((d) => driveName(d.id)).join(', ')}) holds a disc.`;
    if (id !== undefined) {
      try {
        if (id !== BUILTIN_DRIVE) prompt.say(`Reading the disc in ${driveName(id)} (the CD activity LED is on meanwhile).`);
        const disc = await discInDrive(dataDir, id, pick?.media?.sizeBytes);
        const label = disc.label ? ` (${disc.label})` : '';
        return { ...disc, description: id === BUILTIN_DRIVE ? `the CD in the drive${label}` : `the CD in ${driveName(id)}${label}` };
      } catch (e) {
        const code = e instanceof QkmError && e.code === 'QKMD_REFUSED' ? e.params.code : null;
        if (code === 'UPDATE_DRIVE_UNPLUGGED') throw new QkmError('UPDATE_DRIVE_UNPLUGGED', (e as QkmError).message, { params: { drive: id } });
        if (code === 'UPDATE_DRIVE_UNKNOWN') throw unknownDrive(id, drives);
        if (code !== 'BAY_EMPTY') throw e;
        refusal = (e as QkmError).message;
      }
    }
    const answer = await prompt.ask(`${refusal} Load ${o.wanted} and press Enter, or enter q to quit.`);
    if (answer === null || answer.trim().toLowerCase() === 'q') throw new QkmError('UPDATE_NO_CD', 'No CD was loaded, so nothing was changed.');
  }
}

/** Several drives hold a disc: the person names one (the reader never guesses which CD is meant). */
async function whichDrive(loaded: UpdateDrive[], prompt: DiscPrompt): Promise<UpdateDrive> {
  const ids = loaded.map((d) => d.id);
  let question = `${loaded.map((d) => `${d.id} (${driveName(d.id)}) holds ${d.media?.label ?? 'a disc with no volume label'}`).join('; ')}. Enter the drive to read (${ids.join(' or ')}), or q to quit.`;
  for (;;) {
    const answer = (await prompt.ask(question))?.trim() ?? null;
    if (answer === null) throw new QkmError('UPDATE_DRIVE_CHOICE', `More than one drive holds a disc (${ids.join(', ')}), so nothing was read or changed.`, { params: { drives: ids } });
    if (answer.toLowerCase() === 'q') throw new QkmError('UPDATE_NO_CD', 'No drive was chosen, so nothing was changed.');
    const pick = loaded.find((d) => d.id === answer);
    if (pick) return pick;
    question = `"${answer}" is not one of them; enter ${ids.join(' or ')}, or q to quit.`;
  }
}

/** `drive` is not one the box has; `drives` are those it has (none given: the name itself is wrong). */
export function unknownDrive(drive: string, drives: UpdateDrive[]): QkmError {
  return new QkmError('UPDATE_DRIVE_UNKNOWN', `There is no drive ${drive} to read.`, { params: { drive, drives: drives.map((d) => d.id) } });
}
