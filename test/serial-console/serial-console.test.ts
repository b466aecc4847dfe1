import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptLicence } from '../../src/admin/eula.js';
import { realWorld } from '../../src/engine/index.js';
import { pacedPtyPair, ptyPair, type PtyPair } from '../../harness/serial-pty.js';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { TmuxConsole } from '../helpers/tmux-console.js';
import { needsTool } from '../helpers/tools.js';

const tools = [needsTool('socat', 'socat', 'serial-console.test'), needsTool('tmux', 'tmux', 'serial-console.test')];
const skip = tools.some((t) => t.skip);

let dataDir: string | undefined;
let lineDir: string | undefined;
let pty: PtyPair | undefined;
let daemon: Awaited<ReturnType<typeof startQkmd>> | undefined;
const term = new TmuxConsole();

afterEach(async () => {
  term.kill();
  await daemon?.stop();
  await pty?.kill();
  for (const d of [dataDir, lineDir]) if (d) removeDir(d);
  dataDir = lineDir = pty = daemon = undefined;
});

const PROMPT = /akmadmin@qkmserver> $/m;
const logs = (): string => readdirSync(path.join(dataDir!, 'logs')).map((f) => readFileSync(path.join(dataDir!, 'logs', f), 'utf8')).join('');

/**
 * qkmd with its serial console on one end of a line, and a terminal program (socat, raw)
 * on the other, in an 80x24 tmux pane. With `paced`, the line keeps time at `baud`
 * (harness/paced-relay.ts), as a real cable would; otherwise it is a bare pty pair.
 */
async function consoleOnALine(baud: number, paced = true): Promise<void> {
  dataDir = tempDir('qkm-sercon-');
  lineDir = tempDir('qkm-sercon-line-');
  pty = paced ? await pacedPtyPair(lineDir, baud, 'console') : await ptyPair(lineDir, 'console');
  daemon = await startQkmd(['--data-dir', dataDir], { QKM_SERIAL_CONSOLE_PORT: pty.host, QKM_SERIAL_CONSOLE_BAUD: String(baud) });
  expect(daemon.output().stdout).toContain(`serial console on ${pty.host} at ${baud} baud`);
  acceptLicence(dataDir, realWorld);
  plugTerminal();
}

function plugTerminal(): void {
  term.run(`socat -,raw,echo=0 ${pty!.board}; sleep 120`);
}

async function logIn(): Promise<void> {
  await term.waitFor(/Press Enter to log in\. $/m);
  await term.answer('', /Password for akmadmin: $/m);
  await term.answer('password', PROMPT);
}

describe.skipIf(skip).each([9600, 115200])('the serial console on a line at %i baud', (baud) => {
  it('a login (a wrong password first, never echoed), a command\'s output, the menu in 80x24, logout', async () => {
    await consoleOnALine(baud);
    await term.waitFor(/serial console on .*\nPress Enter to log in\. $/m);
    await term.answer('', /Password for akmadmin: $/m);
    let screen = await term.answer('not-the-password', /Wrong password\.\nPassword for akmadmin: $/m);
    screen = await term.answer('password', PROMPT);
    expect(screen).not.toContain('not-the-password');
    expect(screen).toMatch(/default password: change it now/);

    screen = await term.answer('keys status', /No key sets yet; generate one with: qkmcmds keys generate .*\nakmadmin@qkmserver> $/m);
    // Typing is echoed and corrected as on a local terminal: Backspace erases.
    screen = await term.answer('tickets --allx\u007f', /No tickets\.\nakmadmin@qkmserver> $/m);

    await term.answer('menu', /Go on\? \[y\/N\] $/m);
    await term.answer('y', /^Choice: $/m);
    const visible = term.visible().replace(/\n$/, '').split('\n');
    expect(visible.length).toBeLessThanOrEqual(24);
    for (const line of visible) expect(line.length).toBeLessThanOrEqual(80);
    expect(term.visible()).toMatch(/qkm administration, server \w+\n {2}1 {2}Set-up wizard[\s\S]*\n {2}x {2}Quit without applying the changes\nNo changes staged\.\nChoice: ?$/m);
    expect(qkmcmds(['--data-dir', dataDir!, 'key-service', 'status']).stdout).toMatch(/stopped/);
    await term.answer('x', /Left without applying anything\.\n(.*\n)?akmadmin@qkmserver> $/m);
    expect(qkmcmds(['--data-dir', dataDir!, 'key-service', 'status']).stdout).toMatch(/running/);

    screen = await term.answer('logout', /Logged out\.\n\nqkm key manager \w+, serial console on .*\nPress Enter to log in\. $/m);
    const audit = logs();
    expect(audit).toMatch(/console login refused: wrong password/);
    expect(audit).toMatch(/serial console session started/);
    expect(audit).not.toContain('not-the-password');
  });
});

describe.skipIf(skip)('the serial console\'s line going away', () => {
  it('mid-session: qkmd keeps running, the menu\'s stop of the key service is undone, and a login waits on the line when it is back', async () => {
    await consoleOnALine(9600, false);
    await logIn();
    await term.answer('menu', /Go on\? \[y\/N\] $/m);
    await term.answer('y', /^Choice: $/m);
    expect(qkmcmds(['--data-dir', dataDir!, 'key-service', 'status']).stdout).toMatch(/stopped/);

    await pty!.kill(); // the adapter is pulled out: both ends of the line vanish at once
    term.kill();
    for (let i = 0; i < 50 && !/running/.test(qkmcmds(['--data-dir', dataDir!, 'key-service', 'status']).stdout); i++) await new Promise((r) => setTimeout(r, 100));
    expect(qkmcmds(['--data-dir', dataDir!, 'key-service', 'status']).stdout).toMatch(/running/);
    expect(daemon!.child.exitCode).toBeNull();
    expect(logs()).toMatch(/the serial console's port went away/);

    // Plugged in again: the console opens the line anew and offers a login.
    rmSync(pty!.host, { force: true });
    rmSync(pty!.board, { force: true });
    pty = await ptyPair(lineDir!, 'console');
    plugTerminal();
    await logIn();
    await term.answer('logout', /Logged out\./);
    expect(daemon!.child.exitCode).toBeNull();

    // qkmd killed outright: its console goes with it rather than hold the line for the next qkmd.
    const getty = Number(/"consolePid":(\d+)/.exec(logs().split('\n').filter((l) => l.includes('serial console started')).at(-1) ?? '')?.[1]);
    expect(getty).toBeGreaterThan(0);
    daemon!.child.kill('SIGKILL');
    await daemon!.exited;
    const alive = () => {
      try {
        process.kill(getty, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  });
});
