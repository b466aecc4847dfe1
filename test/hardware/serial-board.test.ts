import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRoot } from '../../drivers/file-root.js';
import { ExecFileRunner } from '../../drivers/runner.js';
import { loadConfig, PACKAGE_ROOT } from '../../src/config/config.js';
import { openPanelLine } from '../../src/hardware/appliance.js';
import { applianceSettings } from '../../src/hardware/appliance-settings.js';
import { FAMILIES } from '../../src/hardware/families.js';
import { ptyPair, type PtyPair, type SimBoardProcess, startSimBoard } from '../../harness/serial-pty.js';
import { agentHarness } from '../agent/harness.js';
import { needsTool } from '../helpers/tools.js';

const socat = needsTool('socat', 'socat', 'test/hardware/serial-board.test.ts');

let dir: string | undefined;
let pty: PtyPair | undefined;
let sim: SimBoardProcess | undefined;
let h: ReturnType<typeof agentHarness> | undefined;
afterEach(async () => {
  await h?.close();
  await sim?.stop();
  await pty?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
  h = sim = pty = dir = undefined;
});

const appliance = (env: Record<string, string>) =>
  applianceSettings(loadConfig({ configFile: path.join(PACKAGE_ROOT, 'config', 'appliance.toml'), env: { QKM_HARDWARE_RUN_COMMANDS: 'false', ...env } }));

describe('the LED family on the serial front-panel board', () => {
  it('is selected by [serial] panel_port (the speaker\'s too); without it the panel stays on GPIO LEDs and ledctl; the board and the console never share a port', () => {
    expect(FAMILIES.leds.select(appliance({}))).toBe('panel');
    const s = appliance({ QKM_SERIAL_PANEL_PORT: '/dev/ttyS1', QKM_SERIAL_PANEL_BAUD: '9600' });
    expect(s.panelBoard).toEqual({ path: '/dev/ttyS1', baudRate: 9600 });
    expect(FAMILIES.leds.select(s)).toBe('serial-board');
    expect(FAMILIES.beeps.select(s)).toBe('serial-board');
    expect(FAMILIES.beeps.select(appliance({}))).toBeNull();
    expect(() => appliance({ QKM_SERIAL_PANEL_PORT: '/dev/ttyS1', QKM_SERIAL_CONSOLE_PORT: '/dev/ttyS1' })).toThrow(
      /^serial\.console_port and serial\.panel_port are both \/dev\/ttyS1, but the front-panel board and a terminal cannot share one line; give each its own port \(config from /,
    );
  });

  it.skipIf(socat.skip)('a board that goes silent: the agent opens a ticket naming it while the disks are still watched, and closes it when the board answers again', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-serial-agent-'));
    pty = await ptyPair(dir);
    sim = await startSimBoard(pty.board);
    const settings = appliance({ QKM_SERIAL_PANEL_PORT: pty.host });
    const runner = new ExecFileRunner({ enabled: false, allow: [] });
    const factory = await FAMILIES.leds.backends['serial-board']!({ settings, runner, root: new FileRoot('/'), timeoutMs: 5_000, panelBoard: () => openPanelLine(settings) });
    h = agentHarness({ ledDriver: factory, callTimeoutMs: 60_000 });
    await h.agent.start();
    const board = sim;
    await board.waitFor((l) => l.led === 'power');
    expect(board.lines.filter((l) => 'led' in l)).toContainEqual({ led: 'power', state: { state: 'on' } });

    await board.order('silent on');
    await h.advance(10_000); // the next poll: no LED changes, so the agent asks the board, which says nothing
    await h.advance(1_000); // the retry fails too: blind
    const ticket = h.engine.tickets.list({ openOnly: true }).find((t) => t.condition === 'hw:driver-blind:leds');
    expect(ticket?.text).toBe(
      `The hardware agent cannot drive the front-panel LEDs because the front-panel board on ${pty.host} stopped answering; check its cable and power, see qkmd's log, and restart qkmd if it does not recover within a few minutes.`,
    );
    // Nothing else stops: a pulled disk is still seen and ticketed.
    h.bays.pull(1);
    await h.agent.settled();
    expect(h.open()).toEqual(['hw:disk-missing:bay1', 'hw:driver-blind:leds']);

    await board.order('silent off');
    const shownBefore = board.lines.filter((l) => 'led' in l).length;
    await h.advance(2_000);
    expect(h.open()).toEqual(['hw:disk-missing:bay1']);
    // The restarted driver lit the whole panel again, server error included.
    const relit = board.lines.filter((l) => 'led' in l).slice(shownBefore);
    expect(relit).toContainEqual({ led: 'serverError', state: { state: 'on' } });
  });
});
