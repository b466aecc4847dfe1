/**
 * The control socket's protocol: one JSON request per line, one JSON reply per line.
 * It is local only (a Unix socket, owner-only, in the data directory), so it carries
 * no authentication beyond the file's permissions.
 */
import path from 'node:path';
import { QkmError } from '../errors.js';
import { SIM_USB_KINDS, type SimUsbKind } from '../../drivers/usb/sim.js';

export const SOCKET_NAME = 'qkmd.sock';
/** A request line longer than this is refused (nothing legitimate comes near it). */
export const MAX_LINE = 64 * 1024;

export function socketPath(dataDir: string): string {
  return path.join(dataDir, SOCKET_NAME);
}

/**
 * Linux keeps a Unix socket's path in 108 bytes with its terminating NUL, and Node cuts a
 * longer one short without a word: a socket at the cut path, outside the data directory.
 */
export const MAX_SOCKET_PATH_BYTES = 107;

/** The data directory's control socket path, refused in one sentence if it cannot be a socket's. */
export function fittingSocketPath(dataDir: string): string {
  const file = socketPath(dataDir);
  const bytes = Buffer.byteLength(file);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new QkmError('DATA_DIR_PATH_TOO_LONG', `The data directory path ${dataDir} is too long for qkmd's control socket (${bytes} bytes with /${SOCKET_NAME}, at most ${MAX_SOCKET_PATH_BYTES}); use a data directory with a path at most ${MAX_SOCKET_PATH_BYTES - SOCKET_NAME.length - 1} bytes long.`);
  }
  return file;
}

export type SimAction = 'pull-disk' | 'insert-disk' | 'fail-disk' | 'power-loss' | 'insert-cd' | 'eject-cd' | 'read-cd' | 'plug-usb' | 'unplug-usb' | 'post';

/** Sim actions on the CD drive: no bay; insert-cd carries the ISO file's absolute path. */
const CD_ACTIONS = ['insert-cd', 'eject-cd', 'read-cd'];

export type KeyServiceAction = 'stop' | 'start' | 'status';

/** The console borrows the keystore for a restore: qkmd closes it and lets go of the data directory, then takes it back. */
export type KeystoreAction = 'release' | 'reopen';

export type ControlRequest =
  | { op: 'keystore'; action: KeystoreAction }
  | { op: 'hw-status' }
  /** The appliance's whole status document (src/status/document.ts), as the status page serves it. */
  | { op: 'status' }
  /** The Prometheus metrics, as text. */
  | { op: 'metrics' }
  /** The disc in a CD drive (the built-in one unless `drive` names another), as a path to read it from (an update or a rollback reads it). */
  | { op: 'cd-disc'; drive?: string }
  /** The drives updates can be read from (the built-in CD drive, CD/DVD drives on USB ports) and the disc in each. */
  | { op: 'cd-drives' }
  | { op: 'capture-tools' }
  | { op: 'sim'; action: SimAction; bay?: number; faulty?: boolean; file?: string; device?: SimUsbKind; port?: string; pattern?: string; disc?: string }
  | { op: 'key-service'; action: KeyServiceAction };

export type ControlReply =
  | { ok: true; result: unknown }
  | { ok: false; code: string; message: string };

export function parseRequest(line: string): ControlRequest | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: 'the request is not JSON' };
  }
  const r = v as Record<string, unknown>;
  if (r?.op === 'hw-status') return { op: 'hw-status' };
  if (r?.op === 'status') return { op: 'status' };
  if (r?.op === 'metrics') return { op: 'metrics' };
  if (r?.op === 'cd-disc') {
    if (r.drive !== undefined && typeof r.drive !== 'string') return { error: 'cd-disc takes a drive name' };
    return { op: 'cd-disc', ...(r.drive === undefined ? {} : { drive: r.drive as string }) };
  }
  if (r?.op === 'cd-drives') return { op: 'cd-drives' };
  if (r?.op === 'capture-tools') return { op: 'capture-tools' };
  if (r?.op === 'sim' && CD_ACTIONS.includes(r.action as string)) {
    if (r.action === 'insert-cd' && (typeof r.file !== 'string' || r.file === '')) return { error: 'sim insert-cd needs an ISO file' };
    return { op: 'sim', action: r.action as SimAction, ...(r.action === 'insert-cd' ? { file: r.file as string } : {}) };
  }
  if (r?.op === 'sim' && r.action === 'plug-usb') {
    if (!SIM_USB_KINDS.includes(r.device as SimUsbKind)) return { error: `sim plug-usb needs a device: ${SIM_USB_KINDS.join(' or ')}` };
    if (r.port !== undefined && typeof r.port !== 'string') return { error: 'sim plug-usb takes a port name' };
    if (r.disc !== undefined && (typeof r.disc !== 'string' || r.disc === '')) return { error: 'sim plug-usb takes a disc as an ISO file' };
    return {
      op: 'sim', action: 'plug-usb', device: r.device as SimUsbKind,
      ...(r.port === undefined ? {} : { port: r.port as string }), ...(r.disc === undefined ? {} : { disc: r.disc as string }),
    };
  }
  if (r?.op === 'sim' && r.action === 'unplug-usb') {
    if (typeof r.port !== 'string') return { error: 'sim unplug-usb needs a port name' };
    return { op: 'sim', action: 'unplug-usb', port: r.port };
  }
  if (r?.op === 'sim' && r.action === 'post') {
    if (typeof r.pattern !== 'string' || r.pattern === '' || r.pattern.length > 64) return { error: 'sim post needs a beep pattern' };
    return { op: 'sim', action: 'post', pattern: r.pattern };
  }
  if (r?.op === 'sim' && ['pull-disk', 'insert-disk', 'fail-disk', 'power-loss'].includes(r.action as string)) {
    if (r.action !== 'power-loss' && !Number.isInteger(r.bay)) return { error: `sim ${String(r.action)} needs a bay number` };
    return { op: 'sim', action: r.action as SimAction, bay: r.bay as number | undefined, faulty: r.faulty === true };
  }
  if (r?.op === 'key-service' && ['stop', 'start', 'status'].includes(r.action as string)) {
    return { op: 'key-service', action: r.action as KeyServiceAction };
  }
  if (r?.op === 'keystore' && ['release', 'reopen'].includes(r.action as string)) {
    return { op: 'keystore', action: r.action as KeystoreAction };
  }
  return { error: 'unknown request' };
}
