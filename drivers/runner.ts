import { execFile } from 'node:child_process';
import { streamCommand, type StreamOptions } from './command-stream.js';
import { DriverError } from './errors.js';

export { FileRoot } from './file-root.js';
export type { StreamOptions } from './command-stream.js';

/** What a command printed and how it ended. A non-zero exit is data, not an error:
 *  smartctl, for one, reports disk health in its exit-status bits. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Written to the command's standard input (e.g. a partition table for sfdisk). */
  input?: string;
}

/** The one door through which drivers reach the machine's tools. */
export interface CommandRunner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
}

/** The binary, streaming door, for output read as it comes (a CD read, an audio capture). */
export interface StreamRunner {
  /** Standard output in chunks; see streamCommand for how it ends. `timeoutMs` defaults to the runner's. */
  stream(cmd: string, args: readonly string[], opts: Omit<StreamOptions, 'timeoutMs'> & { timeoutMs?: number }): AsyncIterable<Buffer>;
}

/** The key a recorded command is stored under: the command line, space-joined. */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].join(' ');
}

export interface ExecFileRunnerOptions {
  /** Must be true to run anything: a driver never touches the machine by accident. */
  enabled: boolean;
  defaultTimeoutMs?: number;
  /** If given, only these command names may run. */
  allow?: readonly string[];
}

/** Runs real commands through child_process.execFile (no shell, so no quoting games). */
export class ExecFileRunner implements CommandRunner, StreamRunner {
  private readonly opts: Required<Omit<ExecFileRunnerOptions, 'allow'>> & { allow?: readonly string[] };

  constructor(opts: ExecFileRunnerOptions) {
    this.opts = { defaultTimeoutMs: 30_000, ...opts };
  }

  /** Why this runner may not run `cmd`, or null when it may. */
  private refusal(cmd: string, line: string): DriverError | null {
    if (!this.opts.enabled) return new DriverError('RUNNER_DISABLED', 'Hardware commands are switched off in this configuration.', { command: line });
    if (this.opts.allow && !this.opts.allow.includes(cmd)) {
      return new DriverError('RUNNER_DISABLED', `The command ${cmd} is not on the list of allowed hardware tools.`, { command: line });
    }
    return null;
  }

  async *stream(cmd: string, args: readonly string[], opts: Omit<StreamOptions, 'timeoutMs'> & { timeoutMs?: number }): AsyncGenerator<Buffer, void, undefined> {
    const line = commandLine(cmd, args);
    const refused = this.refusal(cmd, line);
    if (refused) throw refused;
    yield* streamCommand(cmd, args, line, { ...opts, timeoutMs: opts.timeoutMs ?? this.opts.defaultTimeoutMs });
  }

  run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    const line = commandLine(cmd, args);
    const refused = this.refusal(cmd, line);
    if (refused) return Promise.reject(refused);
    const timeout = opts.timeoutMs ?? this.opts.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const child = execFile(
        cmd,
        [...args],
        { timeout, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', killSignal: 'SIGKILL' },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr, code: 0 });
          const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
          if (e.code === 'ENOENT') {
            return reject(new DriverError('COMMAND_NOT_FOUND', `The tool ${cmd} is not installed.`, { command: line }, { cause: err }));
          }
          if (e.killed || e.signal === 'SIGKILL') {
            return reject(
              new DriverError('COMMAND_TIMEOUT', `${cmd} did not answer within ${timeout} ms.`, { command: line, stderr }, { cause: err }),
            );
          }
          if (typeof e.code === 'number') return resolve({ stdout, stderr, code: e.code });
          reject(new DriverError('COMMAND_FAILED', `${cmd} could not be run.`, { command: line, stderr }, { cause: err }));
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }
}

export type FixtureAnswer = Partial<CommandResult> | ((input: string | undefined) => Partial<CommandResult>);

export interface RecordedCall {
  line: string;
  input: string | undefined;
}

/**
 * Answers command lines from recorded output, for tests and the fixture-fed
 * backends. An unknown command line is an error, so a test notices a driver asking
 * for something nobody recorded. Every call is kept, to check what would have run.
 */
export class FixtureRunner implements CommandRunner {
  private readonly answers = new Map<string, FixtureAnswer>();
  readonly calls: RecordedCall[] = [];

  constructor(answers: Record<string, FixtureAnswer> = {}) {
    for (const [line, answer] of Object.entries(answers)) this.answers.set(line, answer);
  }

  set(line: string, answer: FixtureAnswer): this {
    this.answers.set(line, answer);
    return this;
  }

  async run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    const line = commandLine(cmd, args);
    this.calls.push({ line, input: opts.input });
    const answer = this.answers.get(line);
    if (answer === undefined) {
      throw new DriverError('NO_FIXTURE', `No recorded output for "${line}".`, { command: line });
    }
    const r = typeof answer === 'function' ? answer(opts.input) : answer;
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.code ?? 0 };
  }
}
