import path from 'node:path';
import type { CommandRunner } from '../../drivers/runner.js';

/** One storage tool's output, at its place in the capture layout (proc/mdstat, mdadm/md0.txt, ...). */
export interface CapturedOutput {
  path: string;
  content: string;
}

export interface ToolCapture {
  files: CapturedOutput[];
  /** What could not be gathered, and why, so support knows a file is missing on purpose. */
  problems: { path: string; reason: string }[];
}

/** Where the outputs come from: the drivers' runner (the real tools, or the simulator answering them). */
export interface ToolSource {
  runner: CommandRunner;
  mdstat(): Promise<string>;
  raid: 'md' | 'storcli';
  /** "/dev/md0". */
  mdDevice: string;
  /** The bays' whole disks ("/dev/sda"). */
  disks: string[];
  storcli?: { command: string; controller: number };
}

const TIMEOUT_MS = 30_000;

/**
 * The storage tools' outputs in the layout a capture and `hw diagnose` share:
 * `proc/mdstat`, `mdadm/<array>.txt` (`mdadm --detail`), `mdadm/<array>.export`
 * (`--detail --export`), `smartctl/<device>.json` (`smartctl -x -j`) and
 * `storcli/<name>.json`. Each is gathered on its own: one that fails is a problem
 * named in the capture, not a capture refused.
 */
export async function captureToolOutputs(src: ToolSource): Promise<ToolCapture> {
  const capture: ToolCapture = { files: [], problems: [] };
  const take = async (at: string, read: () => Promise<string>) => {
    try {
      capture.files.push({ path: at, content: await read() });
    } catch (e) {
      capture.problems.push({ path: at, reason: (e as Error).message });
    }
  };
  const run = (cmd: string, args: string[]) => async () => {
    const r = await src.runner.run(cmd, args, { timeoutMs: TIMEOUT_MS });
    // A non-zero exit is data for these tools (smartctl's health bits); only silence is a failure.
    if (r.stdout === '' && r.code !== 0) throw new Error(`${cmd} exited with status ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
    return r.stdout;
  };
  if (src.raid === 'md') {
    const name = path.basename(src.mdDevice);
    await take('proc/mdstat', () => src.mdstat());
    await take(`mdadm/${name}.txt`, run('mdadm', ['--detail', src.mdDevice]));
    await take(`mdadm/${name}.export`, run('mdadm', ['--detail', '--export', src.mdDevice]));
  } else if (src.storcli) {
    await take(`storcli/c${src.storcli.controller}.json`, run(src.storcli.command, [`/c${src.storcli.controller}`, 'show', 'all', 'J']));
  }
  for (const disk of src.disks) await take(`smartctl/${path.basename(disk)}.json`, run('smartctl', ['-x', '-j', disk]));
  return capture;
}
