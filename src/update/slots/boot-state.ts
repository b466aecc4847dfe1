import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UpdateError } from '../../errors.js';
import { writeFileDurable } from '../../util/durable-file.js';

/**
 * Which software the box starts. `base` is the software the launcher itself belongs to
 * (the checkout, or the appliance's factory install), which is never overwritten; `a`
 * and `b` are the two slots updates install into, under <data_dir>/software/. The whole
 * decision is one small file replaced in one atomic rename, so after a power cut at any
 * moment it names either the old software or the new, never a half of each.
 */
export type SlotName = 'base' | 'a' | 'b';

export interface BootState {
  active: SlotName;
  /** The one version a rollback may return to; null when there is none. */
  previous: SlotName | null;
  /** The active slot is on trial: not yet seen healthy. `starts` counts its start attempts. */
  trial: { since: string; starts: number } | null;
  /** The last trial that failed, kept for support until its slot is installed over. */
  failed: { slot: SlotName; version: string; reason: string; at: string } | null;
}

export const SOFTWARE_DIR = 'software';
const STATE_FILE = 'boot.json';
const INITIAL: BootState = { active: 'base', previous: null, trial: null, failed: null };

export function softwareDir(dataDir: string): string {
  return path.join(dataDir, SOFTWARE_DIR);
}

export function slotDir(dataDir: string, slot: Exclude<SlotName, 'base'>): string {
  return path.join(softwareDir(dataDir), slot);
}

export function readBootState(dataDir: string): BootState {
  const file = path.join(softwareDir(dataDir), STATE_FILE);
  if (!existsSync(file)) return INITIAL;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as BootState;
    if (!['base', 'a', 'b'].includes(s.active)) throw new Error(`active slot ${String(s.active)}`);
    return s;
  } catch (e) {
    throw new UpdateError('UPDATE_BOOT_STATE_UNREADABLE', `The software slot record ${file} is unreadable (${(e as Error).message}); remove it, which starts the base software, and install the update again.`, { cause: e });
  }
}

export function writeBootState(dataDir: string, s: BootState): void {
  writeFileDurable(path.join(softwareDir(dataDir), STATE_FILE), `${JSON.stringify(s, null, 2)}\n`, 0o644);
}

/** The slot an update installs into: the one of a and b that is not running. */
export function inactiveSlot(s: BootState): Exclude<SlotName, 'base'> {
  return s.active === 'a' ? 'b' : 'a';
}
