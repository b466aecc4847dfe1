import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningQkmd, startQkmdProcess } from '../../harness/qkmd.js';
import { type OpenPage, ledAnimation, ledPeriods, logInToStatusPage, waitForUnreachable, walkThroughReplacement } from '../../harness/status-browser.js';
import { qkmcmds } from '../helpers/cli.js';
import { statusPageOf } from '../../harness/status-http.js';
import { needsTool } from '../helpers/tools.js';

const tool = needsTool('chromium', 'chromium', 'test/web/status-browser.test.ts');

describe.skipIf(tool.skip)('the status page in a real browser (chromium)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-web-browser-'));
  const shots = path.join(dir, 'screenshots');
  const env = { QKM_PATHS_DATA_DIR: path.join(dir, 'var'), QKM_SIM_REBUILD_SECONDS: '6', QKM_SIM_REBUILD_START_SECONDS: '1' };
  let qkmd: RunningQkmd | undefined;
  let open: OpenPage | undefined;

  afterAll(async () => {
    await open?.browser.close();
    await qkmd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in, shows each LED as the agent lit it through a disk replacement, and says when qkmd is gone', async () => {
    expect(tool.missing, 'chromium is not installed: apt-get install -y chromium').toBe(false);
    qkmd = await startQkmdProcess({ args: [], env, timeoutMs: 30_000 });
    const at = statusPageOf(qkmd, env.QKM_PATHS_DATA_DIR);
    open = await logInToStatusPage(`${at.base}/`, 'password', { width: 1024, height: 900 });
    const { page } = open;
    const run = (args: string[]) => expect(qkmcmds(args, env).code).toBe(0);
    await walkThroughReplacement(page, run, async (step) => {
      const file = path.join(shots, `status-${step.name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size).toBeGreaterThan(10_000);
      if (step.name === '1-healthy') {
        expect(await ledPeriods(page)).toMatchObject({ 'bay0.activity': 16_000, 'bay1.activity': 16_000 });
        // The script gave the blink its period: the browser really animates it at 16 s.
        expect(await ledAnimation(page, 'bay0.activity')).toEqual({ name: 'led-flash', duration: '16s' });
      }
      if (step.name === '2-disk-pulled') expect(await page.textContent('#tickets')).toContain('Bay 1 is empty');
      if (step.name === '3-rebuilding') {
        expect(await ledAnimation(page, 'bay1.status')).toEqual({ name: 'led-half', duration: '1s' });
        expect(await ledAnimation(page, 'bay0.activity')).toEqual({ name: 'led-flicker', duration: '0.09s' });
        expect(await page.$$('#rebuild-progress')).toHaveLength(1);
      }
    });
    const running = qkmd;
    expect(await waitForUnreachable(page, () => running.child.kill('SIGKILL'))).toMatch(/^qkmd is not reachable since \d\d:\d\d:\d\d UTC/);
    await page.screenshot({ path: path.join(shots, 'status-5-qkmd-unreachable.png'), fullPage: true });
  }, 60_000);
});
