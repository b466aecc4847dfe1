/**
 * The Import Warning Log (the manual's "QKM Encryption Key Import Warning Log"): one line for
 * every key of a key file that was not imported, with the reason, in
 * `<data_dir>/logs/key-import-warnings.log`. Lines are appended and synced before the
 * import commits, so a ticket that points here always finds its lines.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../util/durable-file.js';

export const importWarningLogOf = (dataDir: string): string => path.join(dataDir, 'logs', 'key-import-warnings.log');

/** Appends `lines` (one entry each, no newline inside) durably. */
export function appendImportWarnings(file: string, lines: readonly string[]): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'a', 0o640);
  try {
    writeSync(fd, lines.map((l) => `${l.replace(/[\r\n]+/g, ' ')}\n`).join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // The log may have just been created: its name lives in the folder.
  fsyncDir(path.dirname(file));
}
