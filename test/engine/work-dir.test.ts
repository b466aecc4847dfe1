import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkDir, cleanStaleWorkDirs } from '../../src/engine/work-dir.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { REPO } from '../helpers/worker.js';

let parent: string;
beforeEach(() => (parent = tempDir('qkm-work-')));
afterEach(() => removeDir(parent));

describe('work folders', () => {
  it('one in use is left alone; once removed by its owner it is gone', () => {
    const w = WorkDir.create(parent, '.job-');
    writeFileSync(path.join(w.path, 'secret'), 'x');
    expect(cleanStaleWorkDirs(parent, '.job-')).toEqual([]);
    expect(existsSync(path.join(w.path, 'secret'))).toBe(true);
    w.remove();
    expect(readdirSync(parent)).toEqual([]);
  });

  it('one whose process was killed is handed to recovery and removed; so is one that never got its lock file', async () => {
    // A real process makes and locks a work folder, then dies by SIGKILL holding it.
    const script = `import('${path.join(REPO, 'dist', 'src', 'engine', 'work-dir.js')}').then(({ WorkDir }) => { WorkDir.create(process.argv[1], '.job-'); console.log('HELD'); setInterval(() => {}, 1e6); });`;
    const child = spawn(process.execPath, ['-e', script, parent], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('HELD') && resolve()));
    expect(cleanStaleWorkDirs(parent, '.job-')).toEqual([]); // alive: in use
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    mkdirSync(path.join(parent, '.job-nolock'));
    const recovered: string[] = [];
    const cleaned = cleanStaleWorkDirs(parent, '.job-', (d) => recovered.push(path.basename(d)));
    expect(cleaned).toHaveLength(2);
    expect(recovered.sort()).toEqual(cleaned.map((d) => path.basename(d)).sort());
    expect(readdirSync(parent)).toEqual([]);
  });
});
