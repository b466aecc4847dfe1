import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from '../util/durable-file.js';

/** A restore's work folder in the data directory: the unpacked halves and the name of its candidate keystore. */
export const RESTORE_WORK_PREFIX = '.restore-';
/** In the work folder: the candidate keystore folder's name, written before that folder is made. */
const CANDIDATE = 'candidate';

export function recordCandidate(workDir: string, name: string): void {
  writeFileDurable(path.join(workDir, CANDIDATE), `${name}\n`, 0o600);
}

/** The candidate keystore a restore (running or killed) is building, if it got that far. */
export function candidateOf(workDir: string): string | undefined {
  try {
    const name = readFileSync(path.join(workDir, CANDIDATE), 'utf8').trim();
    return /^keystore-[\w-]+$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}
