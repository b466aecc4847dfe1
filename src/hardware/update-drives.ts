import { promises as fs, rmSync } from 'node:fs';
import path from 'node:path';
import type { CdMedia, CdromBackend } from '../../drivers/cdrom/contract.js';
import { DriverError } from '../../drivers/errors.js';
import { QkmError } from '../errors.js';

/**
 * The drives an update CD can be read from: the appliance's own CD drive (`builtin`) and
 * every CD/DVD drive plugged into a USB port (`usb:<port>`, the port as `hw status` names
 * it). Names shared by qkmd, which reads the drives, and qkmcmds, which asks for them.
 */
export const BUILTIN_DRIVE = 'builtin';

export type DriveId = { kind: 'builtin' } | { kind: 'usb'; port: string };

/** `builtin` or `usb:<port>` (a kernel bus path such as `1-1` or `3-2.4`); null for anything else. */
export function parseDriveId(id: string): DriveId | null {
  if (id === BUILTIN_DRIVE) return { kind: 'builtin' };
  const m = /^usb:(\d+-\d+(?:\.\d+)*)$/.exec(id);
  return m ? { kind: 'usb', port: m[1]! } : null;
}

export const usbDriveId = (port: string): string => `usb:${port}`;

/** How a sentence names a drive: "the built-in CD drive", "the USB CD/DVD drive at port 1-1". */
export function driveName(id: string): string {
  const d = parseDriveId(id);
  return d?.kind === 'usb' ? `the USB CD/DVD drive at port ${d.port}` : 'the built-in CD drive';
}

/** One drive as `cd-drives` answers it. */
export interface UpdateDrive {
  id: string;
  /** False for a built-in drive the system does not see. */
  present: boolean;
  /** The disc that can be read now; null with no disc or an open tray. */
  media: CdMedia | null;
}

/** A copy of a USB drive's disc that qkmd made for qkmcmds, which removes it once read. */
export interface DiscCopy {
  path: string;
  label: string | null;
  copied: true;
}

/** A name of its own per copy, so two commands reading the same drive never share a file. */
const copyName = (() => {
  let n = 0;
  return (port: string) => `usb-${port}-${process.pid}-${++n}.iso`;
})();

/**
 * Reads the whole disc of a USB CD/DVD drive through the drive (so its reads light the CD
 * activity LED and end when it is pulled out) into a file in `dir`, which the update then
 * verifies and installs from: a drive on a cable can go at any moment, and what the update
 * checked must be what it installs. The file appears under its name only when whole.
 * Throws UPDATE_DRIVE_UNPLUGGED when the drive went away meanwhile (`stillPlugged` says
 * so once the read ended), BAY_EMPTY when the disc did, and the drive's own error else;
 * nothing is left behind in any of those cases.
 */
export async function copyUsbDisc(port: string, drive: CdromBackend, dir: string, stillPlugged: () => Promise<boolean>): Promise<DiscCopy> {
  const name = driveName(usbDriveId(port));
  const st = await drive.status();
  if (!st.media) throw new DriverError('BAY_EMPTY', `${cap(name)} has no disc; insert one first.`, { port });
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, copyName(port));
  const part = `${file}.part`;
  let bytes = 0;
  let failure: unknown = null;
  const out = await fs.open(part, 'wx', 0o600);
  try {
    for await (const chunk of drive.read()) {
      await out.write(chunk);
      bytes += chunk.length;
    }
  } catch (e) {
    failure = e;
  } finally {
    await out.close();
  }
  const expected = st.media.sizeBytes;
  if (failure === null && (expected === null || bytes === expected)) {
    await fs.rename(part, file);
    return { path: file, label: st.media.label, copied: true };
  }
  await fs.rm(part, { force: true });
  if (!(await stillPlugged())) {
    throw new QkmError('UPDATE_DRIVE_UNPLUGGED', `${cap(name)} was unplugged while its disc was being read, so nothing was changed; plug it in again and start again.`, { params: { drive: usbDriveId(port) } });
  }
  if (failure !== null) throw failure;
  throw new DriverError('BAY_EMPTY', `The disc was taken out of ${name} while it was being read, so nothing was changed; put it back and start again.`, { port });
}

/** Copies a qkmcmds killed while reading left behind (qkmd clears them at start; none is in use then). */
export function clearDiscCopies(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
