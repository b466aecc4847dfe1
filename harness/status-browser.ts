/**
 * Drives the status page in a real browser (Debian's chromium through playwright-core),
 * for the browser test and for scripts/status-screenshots.ts, which share these steps.
 */
import { spawnSync } from 'node:child_process';
import { type Browser, type Page, chromium } from 'playwright-core';

/** Where chromium is, or null when it is not installed (package: chromium). */
export function chromiumPath(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

export interface OpenPage {
  browser: Browser;
  page: Page;
}

/** Opens the page at `url` at the given width and logs in with akmadmin's password. */
export async function logInToStatusPage(url: string, password: string, viewport: { width: number; height: number }): Promise<OpenPage> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium is not installed (apt-get install -y chromium)');
  // --no-sandbox: tests run as root, where chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    // The page's certificate is from the appliance's own CA, which this browser does not know.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
    const page = await context.newPage();
    await page.goto(url);
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL(new URL('/', url).href), page.click('button[type=submit]')]);
    await page.waitForSelector('svg.front-panel', { state: 'attached' });
    return { browser, page };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/** Each LED's state as the page draws it: `{ power: 'on', 'bay1.status': 'blink', ... }`. */
export function ledStates(page: Page): Promise<Record<string, string>> {
  return page.$$eval('.front-panel.wide .led', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-led') ?? '', e.getAttribute('data-state') ?? ''])));
}

/** Waits until every LED in `want` shows its state on the page (the page updates itself by its event stream). */
export async function waitForLeds(page: Page, want: Record<string, string>, timeoutMs = 15_000): Promise<Record<string, string>> {
  const until = Date.now() + timeoutMs;
  let seen: Record<string, string> = {};
  while (Date.now() < until) {
    seen = await ledStates(page);
    if (Object.entries(want).every(([id, state]) => seen[id] === state)) return seen;
    await page.waitForTimeout(100);
  }
  throw new Error(`The page's LEDs did not come to ${JSON.stringify(want)}; they show ${JSON.stringify(seen)}.`);
}

/** One step of a disk replacement as the page shows it: what is done, and the LEDs the page must then show. */
export interface ReplacementStep {
  /** The screenshot's name (docs/images/status-<name>.png). */
  name: string;
  caption: string;
  /** qkmcmds arguments that make the step happen, if any. */
  command: string[] | null;
  leds: Record<string, string>;
}

/** The manual's disk replacement, step by step, with every LED the page must show after each. */
export const REPLACEMENT_STEPS: readonly ReplacementStep[] = [
  {
    name: '1-healthy', caption: 'Both disks in the mirror: the bays blink together every 16 s.', command: null,
    leds: { power: 'on', serverError: 'off', hddActivity: 'blink', 'bay0.activity': 'blink', 'bay0.status': 'off', 'bay1.activity': 'blink', 'bay1.status': 'off' },
  },
  {
    name: '2-disk-pulled', caption: 'Disk 1 pulled: the server error LED is on, bay 1 is dark, and a ticket says what to do.', command: ['sim', 'pull-disk', '1'],
    leds: { power: 'on', serverError: 'on', 'bay0.activity': 'blink', 'bay0.status': 'off', 'bay1.activity': 'off', 'bay1.status': 'off' },
  },
  {
    name: '3-rebuilding', caption: 'A new disk in bay 1: both activity LEDs flicker, its status LED blinks, and the bar shows the rebuild.', command: ['sim', 'insert-disk', '1'],
    leds: { power: 'on', serverError: 'off', 'bay0.activity': 'flicker', 'bay0.status': 'off', 'bay1.activity': 'flicker', 'bay1.status': 'blink' },
  },
  {
    name: '4-rebuilt', caption: 'Rebuilt: the bays blink together again and the status LED is off.', command: null,
    leds: { power: 'on', serverError: 'off', hddActivity: 'blink', 'bay0.activity': 'blink', 'bay0.status': 'off', 'bay1.activity': 'blink', 'bay1.status': 'off' },
  },
];

/** Each LED's blink period as drawn (`data-period`), for the LEDs that blink. */
export function ledPeriods(page: Page): Promise<Record<string, number>> {
  return page.$$eval('.front-panel.wide .led.blink', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-led') ?? '', Number(e.getAttribute('data-period'))])));
}

/** How the browser animates an LED right now (one look, so a redraw between finding and reading it cannot intervene). */
export function ledAnimation(page: Page, id: string): Promise<{ name: string; duration: string }> {
  return page.evaluate((led) => {
    const e = document.querySelector(`.front-panel.wide [data-led="${led}"]`);
    const s = e ? getComputedStyle(e) : null;
    return { name: s?.animationName ?? '', duration: s?.animationDuration ?? '' };
  }, id);
}

/** Plays REPLACEMENT_STEPS on the simulator (`run` runs a qkmcmds command) and calls `onStep` once the page shows each step's LEDs. */
export async function walkThroughReplacement(page: Page, run: (args: string[]) => void, onStep: (step: ReplacementStep) => Promise<void>, stepTimeoutMs = 20_000): Promise<void> {
  for (const step of REPLACEMENT_STEPS) {
    if (step.command) run(step.command);
    await waitForLeds(page, step.leds, stepTimeoutMs);
    await onStep(step);
  }
}

/** Stops qkmd at once (SIGKILL, as a crash or a pulled cable would) and waits for the page to say it is gone. */
export async function waitForUnreachable(page: Page, kill: () => void): Promise<string> {
  kill();
  await page.waitForSelector('#connection.down', { timeout: 10_000 });
  return (await page.textContent('#connection')) ?? '';
}
