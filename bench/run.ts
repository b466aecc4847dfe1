/**
 * npm run bench: every benchmark in turn, each in its own process so one's memory and
 * JIT state do not colour the next. Each prints its figures with same-run baselines.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BENCHES = ['engine.js', 'metrics.js', 'console-login.js', 'audit-verify.js', 'locate.js', 'kmip-handler.js', 'kmip-server.js', 'handshake.js', 'connection-floods.js', 'pair.js', 'failover.js', 'library-workload.js', 'agent.js', 'beeps.js', 'serial-board.js', 'iso-read.js', 'update.js', 'status-page.js', 'cli-start.js', 'ttlv-fuzz.js'];
let failed = 0;
for (const file of BENCHES) {
  const script = path.join(here, file);
  if (!existsSync(script)) continue;
  console.log(`\n== ${file.replace(/\.js$/, '')}`);
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
