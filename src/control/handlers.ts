import { isDriverError } from '../../drivers/errors.js';
import { describeUsbDevice } from '../../drivers/usb/contract.js';
import { QkmError } from '../errors.js';
import type { HardwareHost } from '../hardware/start.js';
import { BUILTIN_DRIVE, type UpdateDrive, copyUsbDisc, parseDriveId, usbDriveId } from '../hardware/update-drives.js';
import type { TicketStore } from '../agent/reconcile.js';
import type { ControlRequest } from './protocol.js';
import type { ControlHandler, Handled } from './server.js';
import { hwStatus } from '../status/hardware.js';

export interface HandlerOptions {
  /** What power loss does to this process; qkmd dies at once, as a machine without power would. */
  powerOff?: () => void;
  /** Where the discs of USB CD/DVD drives are copied for an update to read (`<data_dir>/update-disc`); without it they cannot be read. */
  discCopies?: string;
}

const mb = (bytes: number | null) => (bytes === null ? 'size unknown' : `${(bytes / 1e6).toFixed(1)} MB`);
const ok = (result: unknown): Handled => ({ reply: { ok: true, result } });
const refuse = (code: string, message: string): Handled => ({ reply: { ok: false, code, message } });

/**
 * The requests qkmd answers on its control socket. A world change answers once the
 * agent has reacted to it, so the `hw status` that follows already shows the result.
 */
export function hardwareHandler(host: HardwareHost, tickets: TicketStore, opts: HandlerOptions = {}): ControlHandler {
  const powerOff = opts.powerOff ?? (() => process.kill(process.pid, 'SIGKILL'));
  const settle = async () => {
    if (!host.agent) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([host.agent.settled(), new Promise((r) => (t = setTimeout(r, 2_000)))]);
    clearTimeout(t);
  };
  return async (req: ControlRequest): Promise<Handled> => {
    if (req.op === 'hw-status') {
      // A fresh look, so rebuild progress is as of now rather than as of the last event.
      host.agent?.kick();
      await settle();
      return ok(hwStatus(host, tickets));
    }
    if (req.op === 'cd-drives') {
      // A fresh listing, so a drive just plugged in (or its disc) is there.
      host.agent?.kick();
      await settle();
      return ok(await updateDrives(host));
    }
    if (req.op === 'cd-disc') {
      const id = parseDriveId(req.drive ?? BUILTIN_DRIVE);
      if (id?.kind !== 'usb') return lendDisc(host);
      const drive = host.agent?.usbCdDrive(id.port) ?? null;
      const stillPlugged = async () => {
        host.agent?.kick();
        await settle();
        return host.agent?.usbCdDrive(id.port) === drive;
      };
      if (!drive || !opts.discCopies) return refuse('UPDATE_DRIVE_UNKNOWN', `No CD/DVD drive qkm can read is plugged into USB port ${id.port}.`);
      try {
        return ok(await copyUsbDisc(id.port, drive, opts.discCopies, stillPlugged));
      } catch (e) {
        if (isDriverError(e) || e instanceof QkmError) return refuse(e.code, e.message);
        throw e;
      }
    }
    if (req.op === 'capture-tools') return ok(await host.captureTools());
    if (req.op !== 'sim') return refuse('UNKNOWN_REQUEST', `This qkmd does not answer ${req.op} requests; check that qkmd and qkmcmds are the same version.`);
    const sim = host.sim;
    if (!sim) return refuse('NOT_SIMULATED', `This qkmd runs the ${host.profile} profile, not the simulator; sim commands only work with [hardware] profile = "sim".`);
    try {
      const bay = req.bay ?? -1;
      let message: string;
      switch (req.action) {
        case 'pull-disk':
          message = `Pulled disk ${sim.pullDisk(bay)} from bay ${bay}.`;
          break;
        case 'insert-disk':
          message = `Inserted ${req.faulty ? 'a faulty' : 'a'} blank disk ${sim.insertDisk(bay, { faulty: req.faulty })} into bay ${bay}.`;
          break;
        case 'fail-disk':
          message = `The disk ${sim.failDisk(bay)} in bay ${bay} has failed.`;
          break;
        case 'insert-cd': {
          const m = await sim.cdrom.insert(req.file ?? '');
          message = `Inserted the disc ${m.label ?? '(no volume label)'} (${mb(m.sizeBytes)}) and closed the tray.`;
          break;
        }
        case 'eject-cd': {
          const m = await sim.cdrom.removeDisc();
          message = `Ejected the disc ${m.label ?? '(no volume label)'}; the tray is open.`;
          break;
        }
        case 'read-cd': {
          const r = await sim.readCd();
          const secs = r.seconds === null ? '' : `; the CD activity LED stays on for about ${r.seconds < 10 ? r.seconds.toFixed(1) : Math.round(r.seconds)} s`;
          message = `Reading the disc ${r.label ?? '(no volume label)'} (${mb(r.sizeBytes)}) through the drive${secs}.`;
          break;
        }
        case 'plug-usb': {
          const d = await sim.usb.plug(req.device!, req.port, req.disc);
          message = `Plugged in: ${describeUsbDevice(d)}${d.disc ? `, with the disc ${d.disc.label ?? '(no volume label)'} (${mb(d.disc.sizeBytes)}) in it` : ''}.`;
          break;
        }
        case 'unplug-usb':
          message = `Unplugged: ${describeUsbDevice(sim.usb.unplug(req.port ?? ''))}.`;
          break;
        case 'post': {
          const p = sim.beeps.play(req.pattern);
          const d = p.decoding;
          message = `The simulated server restarted and beeped ${d.pattern}${d.pattern === '1' ? ' (POST passed)' : ' (POST found a problem)'}.`;
          break;
        }
        case 'power-loss':
          await host.agent?.settled();
          await sim.flush();
          return {
            reply: { ok: true, result: { message: 'Power lost: qkmd stopped at once and the disks keep their state; start qkmd again to power the appliance on.' } },
            afterReply: powerOff,
          };
      }
      await settle();
      return ok({ message });
    } catch (e) {
      if (isDriverError(e)) return refuse(e.code, e.message);
      throw e;
    }
  };
}

/** The built-in drive (when the box has one) and each USB CD/DVD drive qkm can read, with its disc. */
async function updateDrives(host: HardwareHost): Promise<UpdateDrive[]> {
  const drives: UpdateDrive[] = [];
  const builtin = host.cdrom?.();
  if (builtin) {
    const st = await builtin.status().catch(() => null);
    drives.push({ id: BUILTIN_DRIVE, present: st?.present ?? false, media: st?.media ?? null });
  }
  const snap = host.agent?.snapshot();
  for (const d of snap?.usb ?? []) {
    if (d.kind !== 'cd-dvd' || !host.agent?.usbCdDrive(d.busPath)) continue;
    drives.push({ id: usbDriveId(d.busPath), present: true, media: snap?.usbCds[d.busPath]?.media ?? null });
  }
  return drives;
}

/**
 * Where the disc in the drive can be read (the image file, or the drive's block device),
 * for qkmcmds to read it with the ISO reader. Only the drive knows whether a disc is in:
 * no disc and an open tray are refused as BAY_EMPTY, which qkmcmds turns into its prompt.
 */
async function lendDisc(host: HardwareHost): Promise<Handled> {
  const drive = host.cdrom?.();
  if (!drive) return refuse('NO_CD_DRIVE', 'This box has no CD drive ([hardware] cdrom is "none"); give the update as an ISO image file instead.');
  try {
    const status = await drive.status();
    return ok({ path: await drive.withImage(async (p) => p), label: status.media?.label ?? null });
  } catch (e) {
    if (isDriverError(e)) return refuse(e.code, e.message);
    throw e;
  }
}
