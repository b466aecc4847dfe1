import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { DriverError } from '../../drivers/errors.js';
import type { CommandResult, CommandRunner } from '../../drivers/runner.js';
import { QkmError } from '../errors.js';

/** A file of the capture that could not be used, and why, in words. */
export interface UnreadableFile {
  file: string;
  reason: string;
}

/** The folders the log capture writes the hardware tools' outputs into. */
const TOOL_ENTRIES = ['proc', 'mdadm', 'smartctl', 'storcli'];

/** An opened capture: the folder holding the tools' outputs, and how to let go of it. */
export interface OpenCapture {
  root: string;
  close(): Promise<void>;
}

async function holdsTools(dir: string): Promise<boolean> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.some((n) => TOOL_ENTRIES.includes(n));
}

/** The folder under `dir` (itself, or a few levels down, as a .tgz wraps it) that holds the tools' outputs. */
async function toolsRoot(dir: string, depth = 3): Promise<string | null> {
  if (await holdsTools(dir)) return dir;
  if (depth === 0) return null;
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const found = await toolsRoot(path.join(dir, e.name), depth - 1);
    if (found) return found;
  }
  return null;
}

/**
 * Opens a log capture: a folder as it is, a .tgz unpacked into a private temporary
 * folder (node-tar keeps every entry inside it) that `close` removes.
 */
export async function openCapture(capture: string): Promise<OpenCapture> {
  const refuse = (reason: string, cause?: unknown) =>
    new QkmError('CAPTURE_UNREADABLE', `${capture} cannot be read as a log capture (${reason}).`, { params: { path: capture, reason }, cause });
  const stat = await fs.stat(capture).catch((e: NodeJS.ErrnoException) => {
    throw refuse(e.code === 'ENOENT' ? 'it does not exist' : `it cannot be opened: ${e.code ?? e.message}`, e);
  });
  let dir = capture;
  let close = async () => {};
  if (!stat.isDirectory()) {
    if (!/\.(tgz|tar\.gz)$/i.test(capture)) throw refuse('it is neither a folder nor a .tgz');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qkm-capture-'));
    close = () => fs.rm(dir, { recursive: true, force: true });
    try {
      await tar.x({ file: capture, cwd: dir, strict: true });
    } catch (e) {
      await close();
      throw refuse(`it is not a readable .tgz: ${(e as Error).message}`, e);
    }
  }
  const root = await toolsRoot(dir);
  if (!root) {
    await close();
    throw refuse(`it holds none of ${TOOL_ENTRIES.map((t) => `${t}/`).join(', ')}`);
  }
  return { root, close };
}

/**
 * Answers the disk tool's command lines from the files of a capture, so the smartctl
 * backend runs over what the appliance printed: `smartctl ... /dev/X` from
 * smartctl/X.json (its exit status travels inside the JSON). A file that is not there
 * is the driver's own error. (The RAID files are read by the md and storcli parsers directly.)
 */
export class CaptureRunner implements CommandRunner {
  constructor(private readonly root: string) {}

  private async file(rel: string, line: string): Promise<CommandResult> {
    try {
      return { stdout: await fs.readFile(path.join(this.root, rel), 'utf8'), stderr: '', code: 0 };
    } catch (cause) {
      throw new DriverError('FILE_UNREADABLE', `The capture has no ${rel}.`, { command: line, file: rel }, { cause });
    }
  }

  async run(cmd: string, args: readonly string[]): Promise<CommandResult> {
    const line = [cmd, ...args].join(' ');
    const device = (args[args.length - 1] ?? '').replace(/^\/dev\//, '');
    if (cmd === 'smartctl') return this.file(`smartctl/${device}.json`, line);
    throw new DriverError('NO_FIXTURE', `The capture holds no output of "${line}".`, { command: line });
  }
}
