import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DriverError } from './errors.js';

/**
 * Every file a driver reads or writes (`/proc/mdstat`, `/sys/class/leds/...`) is
 * resolved under an injected root, so a test points the driver at a temp folder
 * and the appliance points it at `/`. Paths that climb out of the root are refused:
 * a LED name from a config file must not become a write to an arbitrary file.
 */
export class FileRoot {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The real path of `absPath` (written as on the appliance, e.g. `/proc/mdstat`). */
  resolve(absPath: string): string {
    const joined = path.resolve(this.root, `.${path.posix.resolve('/', absPath)}`);
    const rel = path.relative(this.root, joined);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new DriverError('PATH_OUTSIDE_ROOT', `The path ${absPath} lies outside the driver's file root.`, {
        root: this.root,
        path: absPath,
      });
    }
    return joined;
  }

  async read(absPath: string): Promise<string> {
    const real = this.resolve(absPath);
    try {
      return await fs.readFile(real, 'utf8');
    } catch (cause) {
      throw new DriverError('FILE_UNREADABLE', `Cannot read ${absPath}.`, { path: real }, { cause });
    }
  }

  /** Reads a file, or gives undefined when it does not exist. */
  async readIfExists(absPath: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.resolve(absPath), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DriverError('FILE_UNREADABLE', `Cannot read ${absPath}.`, { path: absPath }, { cause: e });
    }
  }

  async write(absPath: string, data: string): Promise<void> {
    const real = this.resolve(absPath);
    try {
      await fs.writeFile(real, data);
    } catch (cause) {
      throw new DriverError('FILE_UNREADABLE', `Cannot write ${absPath}.`, { path: real }, { cause });
    }
  }

  async exists(absPath: string): Promise<boolean> {
    try {
      await fs.access(this.resolve(absPath));
      return true;
    } catch {
      return false;
    }
  }
}
