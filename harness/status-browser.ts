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
  return page.$$eval('.front-panel .led', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-led') ?? '', e.getAttribute('data-state') ?? ''])));
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
