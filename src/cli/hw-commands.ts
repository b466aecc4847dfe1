import path from 'node:path';
import type { Command } from 'commander';
import { type SimRequest, hardwareStatus, simulate } from '../admin/hardware.js';
import { diagnosisLines, renderPanel } from './panel.js';
import type { SimAction } from '../control/protocol.js';
import { SIM_USB_KINDS, SIM_USB_PORTS, type SimUsbKind } from '../../drivers/usb/sim.js';
import { QkmError } from '../errors.js';
import type { Context, GlobalOptions } from './context.js';
import { loadConfig } from '../config/config.js';

export interface HwCommandDeps {
  context: () => Context;
  /** qkmcmds' action wrapper: errors become one sentence and exit status 1. */
  action: <A extends unknown[]>(body: (...args: A) => Promise<number | void> | number | void) => (...args: A) => Promise<void>;
}

const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

function bayNumber(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new QkmError('BAD_BAY', `"${raw}" is not a bay number; bays are numbered from 0 as on the front panel.`);
  return Number(raw);
}

function usbKind(raw: string): SimUsbKind {
  if (!SIM_USB_KINDS.includes(raw as SimUsbKind)) throw new QkmError('BAD_USB_DEVICE', `"${raw}" is not a device the simulator can plug in; give ${SIM_USB_KINDS.join(' or ')}.`);
  return raw as SimUsbKind;
}

/** `qkmcmds hw ...` and `qkmcmds sim ...`: both talk to the running qkmd over its control socket. */
export function addHwCommands(program: Command, deps: HwCommandDeps): void {
  const dataDir = () => deps.context().config.paths.data_dir;

  const hw = program.command('hw').description('the appliance hardware as the running qkmd sees it');
  hw.command('status')
    .description('the front panel (LEDs), RAID state and rebuild progress, and open tickets')
    .option('--json', 'machine-readable output')
    .action(deps.action(async (o: { json?: boolean }) => {
      const status = await hardwareStatus(dataDir());
      if (o.json) return out(JSON.stringify(status, null, 2));
      const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
      out(renderPanel(status, { color, width: Math.min(process.stdout.columns ?? 100, 120) }));
    }));

  hw.command('diagnose')
    .argument('<capture>', 'a log capture: its folder, or its .tgz')
    .description('what the hardware agent makes of a log capture: arrays, disks, the LEDs, the tickets it would open')
    .option('--json', 'machine-readable output, in the shape of hw status --json')
    .action(deps.action(async (capture: string, o: { json?: boolean }) => {
      // A capture is read on any checkout, with no data directory: the bays come from --config
      // when given, else from the configuration the capture carries (its box's own).
      const g = program.opts<GlobalOptions>();
      // The agent's rules and the device parsers: only a diagnosis needs them, not every hw or sim command.
      const [{ diagnoseCapture }, { applianceSettings }] = await Promise.all([import('../admin/diagnose.js'), import('../hardware/appliance-settings.js')]);
      const d = await diagnoseCapture(capture, (captured) => {
        const configFile = g.config ?? captured ?? undefined;
        const config = loadConfig({ configFile, dataDir: g.dataDir });
        const a = applianceSettings(config);
        const from = g.config ? g.config : captured ? `the capture's config/qkm.toml` : 'the embedded default configuration';
        return { bays: a.bays, mdName: a.mdName, slotBays: a.storcli.slotBays, diskTempMaxC: config.agent.disk_temp_max_c, from };
      });
      if (o.json) return out(JSON.stringify(d, null, 2));
      const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
      out(renderPanel(d, { color, width: Math.min(process.stdout.columns ?? 100, 120), ticketsHeading: 'Tickets it would open' }) + diagnosisLines(d));
    }));

  const sim = program.command('sim').description('change the simulated appliance (sim profile only), as a field engineer would');
  const world = (action: SimAction, extra: Omit<SimRequest, 'action'> = {}) => async () => out(await simulate(dataDir(), { action, ...extra }));
  sim.command('pull-disk').argument('<bay>', 'bay number (0 or 1)').description('pull the disk out of a bay')
    .action(deps.action((bay: string) => world('pull-disk', { bay: bayNumber(bay) })()));
  sim.command('insert-disk').argument('<bay>', 'bay number (0 or 1)').description('insert a new blank disk into an empty bay')
    .option('--faulty', 'the new disk is faulty: its rebuild fails part-way')
    .action(deps.action((bay: string, o: { faulty?: boolean }) => world('insert-disk', { bay: bayNumber(bay), faulty: o.faulty === true })()));
  sim.command('fail-disk').argument('<bay>', 'bay number (0 or 1)').description('make the disk in a bay fail in service')
    .action(deps.action((bay: string) => world('fail-disk', { bay: bayNumber(bay) })()));
  // qkmd may run in another directory: the image is named to it by absolute path.
  sim.command('insert-cd').argument('<file>', 'an ISO image file: the disc').description('put a disc (an ISO image) in the CD drive and close the tray')
    .action(deps.action((file: string) => world('insert-cd', { file: path.resolve(file) })()));
  sim.command('eject-cd').description('press the CD drive\'s eject button and take the disc out')
    .action(deps.action(() => world('eject-cd')()));
  sim.command('read-cd').description('read the whole disc through the drive, as an update would (the CD activity LED lights meanwhile)')
    .action(deps.action(() => world('read-cd')()));
  sim.command('plug-usb').argument('<device>', `what to plug in: ${SIM_USB_KINDS.join(' (an update source) or ')} (a console line)`)
    .argument('[port]', `the USB port (${SIM_USB_PORTS.join(' or ')}); default the first free one`)
    .description('plug a USB device into a port of the simulated appliance')
    .option('--disc <file>', 'a CD/DVD drive plugged in with a disc in it: an ISO image file')
    .action(deps.action((device: string, port: string | undefined, o: { disc?: string }) => world('plug-usb', {
      device: usbKind(device), ...(port === undefined ? {} : { port }), ...(o.disc === undefined ? {} : { disc: path.resolve(o.disc) }),
    })()));
  sim.command('unplug-usb').argument('<port>', `the USB port (${SIM_USB_PORTS.join(' or ')})`).description('pull the device out of a USB port')
    .action(deps.action((port: string) => world('unplug-usb', { port })()));
  sim.command('post').argument('<pattern>', 'the beeps, as the tables write them: 1, 1-1-3, "1 long 2 short", continuous')
    .description('restart the simulated server with POST beeping this pattern (one beep: it passed; anything else opens a ticket)')
    .action(deps.action((pattern: string) => world('post', { pattern })()));
  sim.command('power-loss').description('cut the power: qkmd stops at once; the disks keep their state')
    .action(deps.action(() => world('power-loss')()));
}
