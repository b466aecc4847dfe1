import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needsTool } from '../helpers/tools.js';
import { REPO } from '../helpers/worker.js';

const xorriso = needsTool('xorriso', 'xorriso', 'iso-read-progress.test');
const BENCH = path.join(REPO, 'dist', 'bench', 'iso-read.js');
// A small image and one round: what is checked is the output, never a speed.
const env = { PATH: process.env.PATH ?? '', BENCH_ISO_MB: '44', BENCH_ISO_ROUNDS: '1' };

describe('bench/iso-read draws its progress bar on a terminal only', () => {
  it.skipIf(xorriso.skip)('piped: the figures alone; on a terminal (a pty from script(1)): the bar as qkmcmds update draws it', () => {
    const piped = spawnSync(process.execPath, [BENCH], { encoding: 'utf8', env });
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/read \+ sha256 of every file \(ISO reader\)/);
    expect(piped.stdout + piped.stderr).not.toContain('verifying');

    const tty = spawnSync('script', ['-qec', `${process.execPath} ${BENCH}`, '/dev/null'], { encoding: 'utf8', env });
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/verifying, round 1 of 1 \[[█░]+\] 100% \| \d+\/\d+/);
    expect(tty.stdout).toMatch(/read \+ sha256 of every file \(ISO reader\)/);
  });
});
