import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { edgesOf } from '../../drivers/beeps/play.js';
import { ptyPair, type PtyPair, type SimBoardProcess, startSimBoard } from '../../harness/serial-pty.js';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { REPO } from '../helpers/worker.js';
import { needsTool } from '../helpers/tools.js';

/**
 * A real qkmd on the appliance profile whose front panel is the simulated board on a
 * pty: the board's speaker at power-on and its buttons. Nothing of this machine is
 * touched: commands are off, the hardware root is an empty folder, the CD drive is an
 * image file that is not there (a drive with no disc).
 */
const socat = needsTool('socat', 'socat', 'hw-serial-board.test');

let dir: string | undefined;
let pty: PtyPair | undefined;
let board: SimBoardProcess | undefined;
let daemon: Awaited<ReturnType<typeof startQkmd>> | undefined;
afterEach(async () => {
  await daemon?.stop();
  await board?.stop();
  await pty?.kill();
  if (dir) removeDir(dir);
  dir = pty = board = daemon = undefined;
});

interface HwStatus { post: { pattern: string; verdict: string } | null; cd: { trayOpen: boolean | null } }
interface Ticket { condition: string; open: boolean; text: string }

async function until<T>(read: () => T, ok: (v: T) => boolean, what: string, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 100))) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what} never happened; last: ${JSON.stringify(v)}`);
  }
}

it.skipIf(socat.skip)('the board\'s speaker opens the POST ticket; CD eject opens the tray; power held stops qkmd cleanly, a tap and reset are only recorded', async () => {
  dir = tempDir('qkm-board-');
  const data = path.join(dir, 'data');
  const root = path.join(dir, 'root');
  mkdirSync(root);
  pty = await ptyPair(dir);
  board = await startSimBoard(pty.board);
  const env = {
    QKM_HARDWARE_RUN_COMMANDS: 'false', QKM_HARDWARE_ROOT: root, QKM_SERVER_SERIAL: 'QKMTEST01', QKM_HARDWARE_USB: 'none',
    QKM_HARDWARE_CDROM: 'image', QKM_HARDWARE_CDROM_IMAGE: '/no-disc.iso', QKM_SERIAL_PANEL_PORT: pty.host,
  };
  const config = path.join(REPO, 'config', 'appliance.toml');
  daemon = await startQkmd(['--config', config, '--data-dir', data], env);
  const run = (...args: string[]) => qkmcmds(['--config', config, '--data-dir', data, ...args], env);
  const hw = () => JSON.parse(run('hw', 'status', '--json').stdout) as HwStatus;
  const log = () => readdirSync(path.join(data, 'logs')).filter((f) => f.startsWith('qkmd')).map((f) => readFileSync(path.join(data, 'logs', f), 'utf8')).join('');
  await board.waitFor((l) => l.led === 'power');

  // The server powers on and POST beeps 1-1-3: the board reports the speaker's edges.
  const edges = edgesOf('1-1-3').map((e) => `${e.atMs}:${e.on ? 1 : 0}`).join(',');
  await board.order(`beep ${edges}`);
  const status = await until(hw, (s) => s.post !== null, 'the POST pattern in hw status');
  expect(status.post).toMatchObject({ pattern: '1-1-3', verdict: 'problem' });
  const tickets = JSON.parse(run('tickets', '--json').stdout) as Ticket[];
  expect(tickets.filter((t) => t.condition.startsWith('hw:post-beeps'))).toEqual([expect.objectContaining({ condition: 'hw:post-beeps:1-1-3', open: true })]);

  expect(hw().cd.trayOpen).toBe(false);
  await board.order('press cdEject');
  await board.order('release cdEject');
  await until(hw, (s) => s.cd.trayOpen === true, 'the CD tray opening');

  await board.order('press reset');
  await board.order('release reset');
  await board.order('press power');
  await board.order('release power');
  await until(log, (l) => /power button pressed for \d+ ms: nothing done/.test(l), 'the tap on the power button recorded');
  expect(log()).toMatch(/reset button pressed/);
  expect(daemon.child.exitCode).toBeNull();

  await board.order('press power');
  await new Promise((r) => setTimeout(r, 1_200));
  await board.order('release power');
  expect(await daemon.exited).toBe(0);
  expect(daemon.output().stdout).toMatch(/qkmd stopped\n$/);
  expect(log()).toMatch(/power button held: qkmd stops cleanly/);
  expect(log()).toMatch(/"signal":"power button".*qkmd stopping/);
});
