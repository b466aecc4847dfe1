import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { QkmError } from '../errors.js';
import { writeFileDurable } from '../util/durable-file.js';

export const UNIT_NAME = 'qkm.service';
const UNIT_DIR = 'etc/systemd/system';

export interface UnitValues {
  /** Where qkm is installed (this checkout, or the appliance's factory install). */
  home: string;
  /** The Node.js binary that runs it. */
  node: string;
  /** The appliance profile's [paths] data_dir: the one folder the unit lets qkmd write. */
  dataDir: string;
}

/** The unit file, from the template in config/systemd/ with its values in double braces filled in. */
export function renderUnit(template: string, v: UnitValues): string {
  for (const [name, value] of Object.entries({ home: v.home, node: v.node, dataDir: v.dataDir })) {
    // systemd splits ExecStart= on spaces and ReadWritePaths= too: a path with one would be two.
    if (!path.isAbsolute(value) || /\s/.test(value)) {
      throw new QkmError('INSTALL_BAD_PATH', `The ${name} path "${value}" must be absolute and without spaces to go into a systemd unit; install qkm where it has such a path.`);
    }
  }
  const filled = template.replaceAll('{{QKM_HOME}}', v.home).replaceAll('{{NODE}}', v.node).replaceAll('{{DATA_DIR}}', v.dataDir);
  const left = /\{\{\w+\}\}/.exec(filled);
  if (left) throw new Error(`the unit template has a value nobody fills in: ${left[0]}`);
  return filled;
}

/**
 * Installs the unit under `root` (the machine's "/" on the appliance; a scratch folder in
 * tests): <root>/etc/systemd/system/qkm.service, replaced in one rename, and the data
 * directory (0700) that its ReadWritePaths= names, since systemd refuses to start a
 * service whose writable path is missing. Enabling it is systemctl's business.
 */
export function installSystemdUnit(o: UnitValues & { root: string; template: string }): { unitFile: string; dataDir: string } {
  const unit = renderUnit(readFileSync(o.template, 'utf8'), o);
  const unitFile = path.join(o.root, UNIT_DIR, UNIT_NAME);
  const dataDir = path.join(o.root, o.dataDir);
  if (!existsSync(o.root)) throw new QkmError('INSTALL_NO_ROOT', `The install root ${o.root} does not exist; give an existing folder (/ on the appliance).`);
  // Its parents as any folder; the data directory itself owner-only, as qkmd makes it.
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (!existsSync(dataDir)) mkdirSync(dataDir, { mode: 0o700 });
  writeFileDurable(unitFile, unit, 0o644);
  return { unitFile, dataDir };
}
