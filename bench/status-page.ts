/**
 * The status page's reaction: from `sim pull-disk 1` sent on qkmd's control socket to the
 * page's server-sent event showing the server error LED lit, median and p99, against the
 * control socket's own reply to the same request (which answers once the agent has acted)
 * and a bare `hw status` round trip, in the same run. A real qkmd process, real TLS.
 *
 *   npx tsc -p . && node dist/bench/status-page.js      (BENCH_STATUS_ROUNDS=100 for a steadier p99)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { controlRequest } from '../src/control/client.js';
import { startQkmdProcess } from '../harness/qkmd.js';
import { ledIn, logIn, statusPageOf, watchEvents } from '../harness/status-http.js';
import { median, percentile, report } from './report.js';

const ROUNDS = Number(process.env.BENCH_STATUS_ROUNDS ?? 30);

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-status-'));
  const dataDir = path.join(dir, 'var');
  const qkmd = await startQkmdProcess({ args: [], env: { QKM_PATHS_DATA_DIR: dataDir, QKM_SIM_REBUILD_SECONDS: '1', QKM_SIM_REBUILD_START_SECONDS: '0' }, timeoutMs: 30_000, keepOutput: true });
  try {
    const at = statusPageOf(qkmd, dataDir);
    const events = watchEvents(at, await logIn(at, { password: 'password' }));
    await events.next(() => true);
    const toPage: number[] = [];
    const toReply: number[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await controlRequest(dataDir, { op: 'hw-status' });
      roundTrip.push(performance.now() - t);
      t = performance.now();
      const shown = events.next((html) => ledIn(html, 'serverError') === 'on');
      await controlRequest(dataDir, { op: 'sim', action: 'pull-disk', bay: 1 });
      toReply.push(performance.now() - t);
      toPage.push((await shown).receivedAt - t);
      // Back to a whole mirror before the next round: a new disk, rebuilt in a second.
      const whole = events.next((html) => ledIn(html, 'bay1.status') === 'off' && ledIn(html, 'bay1.activity') === 'blink', 30_000);
      await controlRequest(dataDir, { op: 'sim', action: 'insert-disk', bay: 1 });
      await whole;
    }
    events.close();
    const control = { name: 'control socket reply', value: median(toReply) };
    report(`status page: pulled disk -> SSE, median (${ROUNDS})`, median(toPage), 'ms', control);
    report(`status page: pulled disk -> SSE, p99 (${ROUNDS})`, percentile(toPage, 99), 'ms', { name: 'control socket reply p99', value: percentile(toReply, 99) });
    report('control socket: hw status round trip, median', median(roundTrip), 'ms', control);
  } finally {
    await qkmd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
