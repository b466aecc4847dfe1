import { type OpenOptions, SerialPortStream } from '@serialport/stream';
import { DriverError } from '../errors.js';

/** serialport's binding interface (@serialport/bindings-interface), named through the stream that takes it. */
export type SerialBinding = OpenOptions['binding'];

/**
 * Opens a serial port with serialport's own stream over the binding given (the native
 * one on a tty or pty, binding-mock in tests), raw 8N1 as serialport sets it; rejects
 * with DEVICE_GONE and the reason in plain words when it cannot (no such path, not a
 * tty, busy).
 */
export async function openSerialStream(binding: SerialBinding, path: string, baudRate: number): Promise<SerialPortStream> {
  const port = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve()))).catch((e: unknown) => {
    throw new DriverError('DEVICE_GONE', `The serial port ${path} cannot be opened: ${whyNotOpened(e)}.`, { path, error: errText(e) }, { cause: e });
  });
  return port;
}

/** The binding's reason, said plainly: its messages repeat the path and name the ioctl that failed. */
function whyNotOpened(e: unknown): string {
  const text = errText(e);
  if (/No such file or directory/i.test(text)) return 'it does not exist';
  if (/Permission denied/i.test(text)) return 'permission denied';
  if (/Inappropriate ioctl/i.test(text)) return 'it is not a serial device';
  if (/Resource temporarily unavailable|lock|busy/i.test(text)) return 'another program has it open';
  return text.replace(/^Error: /, '');
}

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
