import type { SerialBinding } from './transport.js';
import { DriverError } from '../errors.js';

/**
 * The serial ports this machine has, as serialport's binding lists them. On Linux the
 * binding runs `udevadm` for that; a machine without udev (a container, a minimal
 * install) makes it fail with "spawn udevadm ENOENT", which is said here as one reason
 * instead of a stack.
 */
export async function listSerialPorts(binding: SerialBinding): Promise<string[]> {
  try {
    return (await binding.list()).map((p) => p.path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { path?: string };
    if (err.code === 'ENOENT' && /udevadm/.test(`${err.path ?? ''} ${err.message}`)) {
      throw new DriverError('DRIVER_UNAVAILABLE', 'Serial ports cannot be listed on this machine because udevadm (package udev) is not installed; name the port in the configuration instead.', {}, { cause: e });
    }
    throw new DriverError('DRIVER_UNAVAILABLE', `Serial ports cannot be listed on this machine (${err.message}).`, {}, { cause: e });
  }
}
