/**
 * What a qkmcmds call costs before and while it does its work: each command loads only
 * its own command group (src/cli/command-table.ts). Every figure is the median wall time
 * and the mean CPU time (user + system, from the kernel's count of our children) of N
 * spawns, taking turns so that a busy machine weighs on all alike, against
 * `qkmcmds --help`, which loads every group as every call did before, in the same run;
 * `node -e 0` is the floor.
 *
 *   npx tsc -p . && node dist/bench/cli-start.js        (BENCH_CLI_N=30 for more spawns)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QKMCMDS, startQkmdProcess } from '../harness/qkmd.js';
import { median, report } from './report.js';

const N = Number(process.env.BENCH_CLI_N ?? 15);
const TICKS_PER_SECOND = 100; // USER_HZ: the unit of /proc's times on Linux

/** CPU milliseconds of this process's waited-for children so far (cutime + cstime). */
function childrenCpuMs(): number {
  // After the command name in parentheses: fields 3 onwards; cutime and cstime are the 16th and 17th.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
}

interface Variant { name: string; args: string[]; wall: number[]; cpu: number }

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-cli-'));
try {
  const qkmd = await startQkmdProcess({ args: ['--data-dir', dataDir], timeoutMs: 120_000 });
  try {
    const qkmcmds = (...args: string[]) => [QKMCMDS, ...args, '--data-dir', dataDir];
    const variants: Variant[] = [
      { name: 'node -e 0', args: ['-e', '0'] },
      { name: 'qkmcmds --help (every group)', args: qkmcmds('--help') },
      { name: 'qkmcmds --version', args: qkmcmds('--version') },
      { name: 'qkmcmds tickets', args: qkmcmds('tickets') },
      { name: 'qkmcmds keys status', args: qkmcmds('keys', 'status') },
      { name: 'qkmcmds hw status', args: qkmcmds('hw', 'status') },
      { name: 'qkmcmds certs list', args: qkmcmds('certs', 'list') },
    ].map((v) => ({ ...v, wall: [], cpu: 0 }));
    for (let round = -1; round < N; round++) {
      for (const v of variants) {
        const cpu = childrenCpuMs();
        const t = performance.now();
        const r = spawnSync(process.execPath, v.args, { stdio: 'ignore' });
        const wall = performance.now() - t;
        if (r.status !== 0) throw new Error(`${v.name} exited with ${r.status}`);
        // Round -1 warms the file cache and is not counted.
        if (round < 0) continue;
        v.wall.push(wall);
        v.cpu += childrenCpuMs() - cpu;
      }
    }
    const everything = variants[1]!;
    for (const v of variants) {
      report(`${v.name}, wall (median of ${N})`, median(v.wall), 'ms', { name: 'every group', value: median(everything.wall) });
      report(`${v.name}, CPU (mean)`, v.cpu / N, 'ms', { name: 'every group', value: everything.cpu / N });
    }
  } finally {
    qkmd.child.kill('SIGTERM');
    await qkmd.exited;
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
