import { spawn } from 'node:child_process';
import { DriverError } from './errors.js';

export interface StreamOptions {
  /** Most bytes the command may print; past it the command is killed and the stream fails with OUTPUT_TOO_LARGE. */
  maxBytes: number;
  /** Past this the command is killed and the stream fails with COMMAND_TIMEOUT. */
  timeoutMs: number;
  /** Aborting kills the command; the stream fails with COMMAND_CANCELLED. */
  signal?: AbortSignal;
  /** Written to the command's standard input. */
  input?: string | Buffer;
}

/** How much of a failing command's stderr is kept for the log. */
const STDERR_KEPT = 8 * 1024;

/**
 * Runs a command and yields its standard output as bytes, chunk by chunk, as it arrives,
 * for output too big or too slow to wait for as text (a CD read, an audio capture).
 * Reading at the consumer's pace holds the command back when the consumer is slow.
 * Unlike the text form, the stream ends normally only on exit status 0: a command cut
 * off half-way has not given what a stream of bytes promises. However it ends (finished,
 * broken off by the consumer, time-out, size bound, cancel) the command is killed if
 * still running and waited for, so no child outlives the stream, not even as a zombie.
 */
export async function* streamCommand(cmd: string, args: readonly string[], line: string, opts: StreamOptions): AsyncGenerator<Buffer, void, undefined> {
  const cancelled = () => new DriverError('COMMAND_CANCELLED', `${cmd} was cancelled before it finished.`, { command: line });
  if (opts.signal?.aborted) throw cancelled();
  const child = spawn(cmd, [...args], { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  let stopped: DriverError | null = null;
  const stop = (e: DriverError) => {
    if (stopped) return;
    stopped = e;
    child.kill('SIGKILL');
  };
  let spawnError: NodeJS.ErrnoException | null = null;
  const ended = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
    child.once('error', (e) => {
      spawnError = e;
      resolve(null);
    });
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < STDERR_KEPT) stderr += d;
  });
  const timer = setTimeout(() => stop(new DriverError('COMMAND_TIMEOUT', `${cmd} did not finish within ${opts.timeoutMs} ms.`, { command: line })), opts.timeoutMs);
  const onAbort = () => stop(cancelled());
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // A command that exits without reading its input must not fail the stream with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input);
    let bytes = 0;
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        if (stopped) break;
        bytes += chunk.length;
        if (bytes > opts.maxBytes) {
          stop(new DriverError('OUTPUT_TOO_LARGE', `${cmd} printed more than ${opts.maxBytes} bytes.`, { command: line }));
          break;
        }
        yield chunk;
      }
    } catch (e) {
      if (!stopped) throw e;
    }
    const code = await ended;
    if (stopped) throw stopped;
    const failed = spawnError as NodeJS.ErrnoException | null;
    if (failed?.code === 'ENOENT') throw new DriverError('COMMAND_NOT_FOUND', `The tool ${cmd} is not installed.`, { command: line }, { cause: failed });
    if (failed) throw new DriverError('COMMAND_FAILED', `${cmd} could not be run.`, { command: line }, { cause: failed });
    if (code !== 0) throw new DriverError('COMMAND_FAILED', `${cmd} stopped with exit status ${code} before its output was complete.`, { command: line, code, stderr });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null && child.signalCode === null && !spawnError) child.kill('SIGKILL');
    await ended;
  }
}
