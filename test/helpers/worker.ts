import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ENGINE_WORKER = path.join(REPO, 'dist', 'test', 'workers', 'engine-worker.js');

export interface WorkerRun {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs a node script and, if `killAfterMs` is given, SIGKILLs it that long after it
 * printed READY. Returns the lines it acknowledged before dying.
 */
export function runWorker(script: string, args: string[], killAfterMs?: number): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!armed && killAfterMs !== undefined && out.includes('READY\n')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // A line cut by the kill was never acknowledged: keep whole lines only.
      const lines = out.split('\n').slice(0, -1).filter((l) => l !== 'READY');
      resolve({ lines, code, signal, stderr });
    });
  });
}
