/**
 * The console's login: what one password check costs at the product's scrypt cost
 * (target about 100-300 ms of CPU), next to the same check at half and double the cost
 * in the same run (a check scales with N; a guesser pays the same per guess), and the
 * waits ten wrong passwords in a row impose (target at least a minute).
 *
 *   npx tsc -p . && node dist/bench/console-login.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCRYPT_COST, hashPassword, loginDelayMs, passwordMatches, recordLogin, setPassword } from '../src/admin/console-password.js';
import { realWorld } from '../src/engine/world.js';
import { median, report } from './report.js';

const RUNS = 7;

/** Median wall and CPU milliseconds of `f`, over RUNS runs after one warm-up. */
async function cost(f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  await f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-login-'));
try {
  await setPassword(dir, 'bench-password-1', realWorld);
  const login = await cost(() => passwordMatches(dir, 'bench-password-1'));
  const salt = realWorld.randomBytes(16);
  const half = await cost(() => hashPassword('bench-password-1', salt, { ...SCRYPT_COST, N: SCRYPT_COST.N / 2 }));
  const double = await cost(() => hashPassword('bench-password-1', salt, { ...SCRYPT_COST, N: SCRYPT_COST.N * 2 }));
  const n = `N=2^${Math.log2(SCRYPT_COST.N)}, r=${SCRYPT_COST.r}`;
  report(`login check, CPU (${n})`, login.cpu, 'ms', { name: `scrypt N/2`, value: half.cpu }, '100-300 ms');
  report(`login check, wall (${n})`, login.wall, 'ms', { name: `scrypt 2N`, value: double.wall });

  let waited = 0;
  for (let i = 0; i < 10; i++) waited += loginDelayMs(recordLogin(dir, false) - 1);
  report('waits before ten wrong passwords in a row', waited / 1000, 's', { name: 'ten checks, no waits', value: (10 * login.wall) / 1000 }, '>= 60 s');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
