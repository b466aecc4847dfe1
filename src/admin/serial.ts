import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { QkmConfig } from '../config/config.js';
import { writeFileDurable } from '../util/durable-file.js';
import type { World } from '../engine/index.js';

const SERIAL = /^[A-Z0-9]{4,20}$/;

/**
 * The server's serial number: the config's if set; on the simulator one minted on first
 * start and kept in the data directory; on the appliance the one in its DMI table.
 */
export function resolveSerial(config: QkmConfig, world: World, o: { mint: boolean } = { mint: true }): string {
  if (config.server.serial) return config.server.serial;
  if (config.hardware.profile === 'sim') {
    const file = path.join(config.paths.data_dir, 'serial');
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    // Only qkmd and restore set a data directory up; another command here has the wrong one.
    if (!o.mint) {
      throw new ConfigError('NOT_A_DATA_DIR', `${config.paths.data_dir} is not a qkm data directory (it has no serial file); check --data-dir (or [paths] data_dir), or start qkmd once to set it up.`);
    }
    const minted = `SIM${world.randomBytes(5).toString('hex').toUpperCase()}`;
    writeFileDurable(file, `${minted}\n`);
    return minted;
  }
  // Under [hardware] root like every other device read, so tests never see this machine's serial.
  const dmi = path.join(config.hardware.root, 'sys/class/dmi/id/product_serial');
  const found = existsSync(dmi) ? readFileSync(dmi, 'utf8').trim().toUpperCase().replace(/[^A-Z0-9]/g, '') : '';
  if (!SERIAL.test(found)) {
    throw new ConfigError('SERIAL_UNKNOWN', `The appliance's serial number cannot be read from ${dmi}; set [server] serial in the config file.`);
  }
  return found;
}
