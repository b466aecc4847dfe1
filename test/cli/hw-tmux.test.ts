// biome-ignore-all lint/suspicious/noControlCharactersInRegex: this test looks for the colour escape codes (ESC [ ... m) themselves
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { QKMCMDS, qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { needsTool } from '../helpers/tools.js';

const tmuxTool = needsTool('tmux', 'tmux', 'hw-tmux.test');

/** A private tmux server, so the test neither sees nor disturbs anyone's sessions. */
const SOCK = `qkm-hw-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCK, ...args], { encoding: 'utf8' });

let dir: string;
let daemon: Awaited<ReturnType<typeof startQkmd>> | undefined;
let screens: number;
beforeEach(() => {
  dir = tempDir('qkm-tmux-');
  screens = 0;
});
afterEach(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server left: nothing to clean
  }
  daemon?.child.kill('SIGTERM');
  await daemon?.exited;
  removeDir(dir);
});

/** Runs `hw status` in a 120x40 terminal and returns the screen once the panel is drawn. */
async function screen(escapes = false): Promise<string> {
  const cmd = `env -u NO_COLOR TERM=xterm-256color ${process.execPath} ${QKMCMDS} --data-dir ${dir} hw status; sleep 60`;
  const panel = `panel${++screens}`;
  tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', panel, cmd);
  // The previous session goes only now: killing a server's last session ends the server,
  // and a new session started meanwhile could join the server on its way out.
  if (screens > 1) tmux('kill-session', '-t', `panel${screens - 1}`);
  for (let i = 0; i < 100; i++) {
    const text = tmux('capture-pane', '-p', '-t', panel, ...(escapes ? ['-e'] : []));
    if (/Open tickets|No open tickets/.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the panel never appeared');
}

it.skipIf(tmuxTool.skip)('hw status draws the front panel in a terminal, in colour, as a person sees it', async () => {
  daemon = await startQkmd(['--data-dir', dir]);
  let text = await screen();
  expect(text).toMatch(/^qkm front panel \(sim hardware\)$/m);
  expect(text).toMatch(/^ {2}POWER +\(\*\) green on$/m);
  expect(text).toMatch(/^ {2}SERVER ERROR +\( \) amber off$/m);
  expect(text).toMatch(/^ {2}BAY 0 +SIM0000A in mirror +activity \(~\) green blink 16 s +status \( \) amber off$/m);
  expect(text).toMatch(/RAID md0 \(raid1\): clean, 2 of 2 disks in sync/);
  expect(text).toMatch(/^No open tickets\.$/m);

  expect(qkmcmds(['--data-dir', dir, 'sim', 'pull-disk', '1']).code).toBe(0);
  text = await screen();
  expect(text).toMatch(/^ {2}SERVER ERROR +\(\*\) amber on$/m);
  expect(text).toMatch(/^ {2}BAY 1 +empty +activity \( \) green off +status \( \) amber off$/m);
  expect(text).toMatch(/RAID md0 \(raid1\): degraded, 1 of 2 disks in sync/);
  expect(text).toMatch(/^Open tickets \(1\):$/m);
  expect(text).toMatch(/#\d+ ERROR \[hw:disk-missing:bay1\]\n +Bay 1 is empty \(disk SIM0000B was removed\)/);
  // Every line fits the 120-column terminal: nothing wrapped by the terminal itself.
  for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(120);

  // On a terminal the lit amber LED is drawn in amber (SGR 33), the dark ones dim (SGR 2).
  const coloured = await screen(true);
  // (tmux re-encodes attributes one per sequence, so look for the attribute, not our exact bytes.)
  const line = (label: string) => coloured.split('\n').find((l) => l.includes(label)) ?? '';
  expect(line('SERVER ERROR')).toMatch(/\x1b\[(\d+;)*33(;\d+)*m(\x1b\[[0-9;]*m)*\(\*\) amber on/);
  expect(line('POWER')).toMatch(/\x1b\[(\d+;)*32(;\d+)*m(\x1b\[[0-9;]*m)*\(\*\) green on/);
  expect(line('CD ACTIVITY')).toMatch(/\x1b\[(\d+;)*2(;\d+)*m(\x1b\[[0-9;]*m)*\( \) green off/);
  // Piped, the same command prints no escape codes at all.
  const piped = qkmcmds(['--data-dir', dir, 'hw', 'status']);
  expect(piped.stdout).not.toMatch(/\x1b\[/);
  expect(piped.stdout).toMatch(/SERVER ERROR +\(\*\) amber on/);
});
