/**
 * Writes the status page's screenshots for the user guide (docs/images/status-*.png): a
 * simulated appliance with a key set, then the manual's disk replacement step by step,
 * as Debian's chromium shows it at 1024 pixels (and the pulled disk at a phone's width),
 * then qkmd gone. Run after a build: node dist/scripts/status-screenshots.js
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../src/config/config.js';
import { QKMCMDS, STATUS_PAGE_LINE, startQkmdProcess } from '../harness/qkmd.js';
import { logInToStatusPage, waitForUnreachable, walkThroughReplacement } from '../harness/status-browser.js';

const out = path.join(PACKAGE_ROOT, 'docs', 'images');
const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-screenshots-'));
const env = { QKM_PATHS_DATA_DIR: path.join(dir, 'var'), QKM_SIM_REBUILD_SECONDS: '40', QKM_SIM_REBUILD_START_SECONDS: '1' };
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [QKMCMDS, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  if (r.status !== 0) throw new Error(`qkmcmds ${args.join(' ')}: ${r.stderr}`);
};

/** A still picture of a blinking LED may catch it dark: each one is held in its lit phase. */
const holdLedsLit = (page: Page) =>
  page.evaluate(() => {
    for (const led of document.querySelectorAll<SVGElement>('.led')) Object.assign(led.style, { animationDelay: '0s', animationPlayState: 'paused' });
  });

mkdirSync(out, { recursive: true });
const qkmd = await startQkmdProcess({ args: [], env, timeoutMs: 30_000 });
try {
  run(['keys', 'generate', '--library', 'LIB1', '--class', 'i500']);
  const m = STATUS_PAGE_LINE.exec(qkmd.output().stdout)!;
  const url = `https://${m[1]}:${m[2]}/`;
  const { browser, page } = await logInToStatusPage(url, 'password', { width: 1024, height: 900 });
  const phone = await logInToStatusPage(url, 'password', { width: 390, height: 844 });
  try {
    await walkThroughReplacement(page, run, async (step) => {
      if (step.name === '3-rebuilding') await page.waitForFunction(() => Number(document.querySelector('#rebuild-progress')?.getAttribute('value')) >= 30, undefined, { timeout: 60_000 });
      await holdLedsLit(page);
      await page.screenshot({ path: path.join(out, `status-${step.name}.png`), fullPage: true });
      if (step.name === '2-disk-pulled') await holdLedsLit(phone.page);
      if (step.name === '2-disk-pulled') await phone.page.screenshot({ path: path.join(out, `status-${step.name}-phone.png`), fullPage: true });
      process.stdout.write(`docs/images/status-${step.name}.png: ${step.caption}\n`);
    }, 90_000);
    await waitForUnreachable(page, () => qkmd.child.kill('SIGKILL'));
    await page.screenshot({ path: path.join(out, 'status-5-qkmd-unreachable.png'), fullPage: true });
    process.stdout.write('docs/images/status-5-qkmd-unreachable.png: qkmd stopped answering; the page says so.\n');
  } finally {
    await browser.close();
    await phone.browser.close();
  }
} finally {
  await qkmd.stop();
  rmSync(dir, { recursive: true, force: true });
}
