import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ptyPair, type PtyPair } from '../../harness/serial-pty.js';
import { startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { TmuxConsole } from '../helpers/tmux-console.js';
import { needsTool } from '../helpers/tools.js';
import { REPO } from '../helpers/worker.js';

/**
 * A USB-serial adapter plugged into the appliance gets a console: qkmd on the appliance
 * profile, its hardware root a recorded sysfs tree (firmware-fixtures/usb/ftdi-and-modem:
 * an FTDI cable on port 3-2 whose line is /dev/ttyUSB0), and that node under the root a
 * link to one end of a pty pair; the terminal program sits on the other end.
 */
const skip = [needsTool('socat', 'socat', 'usb-console.test'), needsTool('tmux', 'tmux', 'usb-console.test')].some((t) => t.skip);

let dir: string | undefined;
let pty: PtyPair | undefined;
let daemon: Awaited<ReturnType<typeof startQkmd>> | undefined;
const term = new TmuxConsole();
afterEach(async () => {
  term.kill();
  await daemon?.stop();
  await pty?.kill();
  if (dir) removeDir(dir);
  dir = pty = daemon = undefined;
});

it.skipIf(skip)('an adapter plugged in gets a login on its line; pulled out, its console stops and qkmd goes on', async () => {
  dir = tempDir('qkm-usbcon-');
  const root = path.join(dir, 'root');
  const data = path.join(dir, 'data');
  cpSync(path.join(REPO, 'firmware-fixtures', 'usb', 'ftdi-and-modem', 'sys'), path.join(root, 'sys'), { recursive: true, verbatimSymlinks: true });
  const devices = path.join(root, 'sys', 'bus', 'usb', 'devices');
  // Only the FTDI cable: the modem's ports are not this test's.
  for (const d of readdirSync(devices).filter((d) => d.startsWith('3-4'))) rmSync(path.join(devices, d));
  pty = await ptyPair(dir, 'usb');
  mkdirSync(path.join(root, 'dev'));
  symlinkSync(pty.host, path.join(root, 'dev', 'ttyUSB0'));

  daemon = await startQkmd(['--config', path.join(REPO, 'config', 'appliance.toml'), '--data-dir', data], {
    QKM_HARDWARE_RUN_COMMANDS: 'false', QKM_HARDWARE_ROOT: root, QKM_SERVER_SERIAL: 'QKMTEST01', QKM_HARDWARE_USB: 'sysfs',
    QKM_HARDWARE_CDROM: 'none', QKM_AGENT_POLL_SECONDS: '1',
  });
  term.run(`socat -,raw,echo=0 ${pty.board}; sleep 120`);
  await term.waitFor(/serial console on .*\/dev\/ttyUSB0\nPress Enter to log in\. $/m);
  await term.answer('', /Password for akmadmin: $/m);
  await term.answer('password', /akmadmin@qkmserver> $/m);
  await term.answer('logout', /Logged out\./);

  // Pulled out: the kernel's links go, the next listing misses it, its console stops.
  for (const d of readdirSync(devices).filter((d) => d.startsWith('3-2'))) rmSync(path.join(devices, d));
  const log = () => readFileSync(path.join(data, 'logs', 'qkmd.log'), 'utf8');
  for (let i = 0; i < 100 && !/serial console stopped/.test(log()); i++) await new Promise((r) => setTimeout(r, 100));
  expect(log()).toMatch(new RegExp(`"port":"${path.join(root, 'dev', 'ttyUSB0')}".*serial console stopped`));
  expect(log()).toMatch(/USB device unplugged/);
  expect(daemon.child.exitCode).toBeNull();
});
