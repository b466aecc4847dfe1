/**
 * A real qkmd with its key server on a free port, the qkmcmds steps that prepare a library
 * (key set, certificate bundle), and PyKMIP runs of several operations over one connection.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { join } from 'node:path';
import { extract } from 'tar';
import { QKMCMDS, type RunningQkmd, startQkmdProcess } from '../../harness/qkmd.js';
import { exchangeFrame } from './kmip-tls.js';
import { SYSTEM_PYTHON, pykmipConnectionArgs } from './pykmip.js';

export type KmipVersionName = '1.0' | '1.1' | '1.2' | '1.3' | '1.4' | '2.0';

export { LISTENING_LINE } from '../../harness/qkmd.js';

export interface QkmdKeyServer extends RunningQkmd {
  dataDir: string;
}

/** Only PATH and the QKM_* variables given: the caller's environment must not leak in. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...env };
}

/**
 * Starts qkmd on `dataDir` with QKM_KMIP_PORT=0 (unless `env` says otherwise) and resolves
 * once its key server listens. Rejects with qkmd's output if it exits or stays silent.
 */
export async function startQkmdKeyServer(opts: {
  dataDir: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<QkmdKeyServer> {
  const qkmd = await startQkmdProcess({ args: ['--data-dir', opts.dataDir], env: opts.env ?? {}, timeoutMs: opts.timeoutMs ?? 30_000 });
  return { ...qkmd, dataDir: opts.dataDir };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs qkmcmds as a user would, asynchronously (a running qkmd's pipes keep draining). */
export function runQkmcmds(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [QKMCMDS, ...args], { env: cleanEnv(env), timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Like runQkmcmds, but a non-zero exit is an error carrying what qkmcmds said. */
export async function qkmcmdsOk(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  const r = await runQkmcmds(args, env);
  if (r.code !== 0) throw new Error(`qkmcmds ${args.join(' ')} exited with ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

export interface LibraryFiles {
  ca: string;
  cert: string;
  key: string;
}

/**
 * What an administrator does for a new library: optionally generate its key set, then write
 * its certificate bundle and unpack it (as the library's import screen would) into `dir`.
 */
export async function prepareLibrary(opts: {
  dataDir: string;
  library: string;
  dir: string;
  keyClass?: 'i500' | 'i2000';
  /** The certificate's role (a tape library unless said). */
  role?: 'library' | 'general';
  env?: Record<string, string>;
}): Promise<LibraryFiles> {
  const env = opts.env ?? {};
  if (opts.keyClass) {
    await qkmcmdsOk(['--data-dir', opts.dataDir, 'keys', 'generate', '--library', opts.library, '--class', opts.keyClass], env);
  }
  await mkdir(opts.dir, { recursive: true });
  const bundle = join(opts.dir, `${opts.library}.tgz`);
  await qkmcmdsOk(['--data-dir', opts.dataDir, 'certs', 'library-bundle', '--library', opts.library, '--out', bundle, ...(opts.role ? ['--role', opts.role] : [])], env);
  await extract({ file: bundle, cwd: opts.dir });
  return { ca: join(opts.dir, 'ca.pem'), cert: join(opts.dir, 'client.pem'), key: join(opts.dir, 'client.key') };
}

/** One step for `pykmip-client.py steps`; "@ID" in a value stands for step ID's unique identifier. */
export type PykmipStep =
  | { id: string; op: 'discover_versions' }
  | { id: string; op: 'query'; functions?: Array<'operations' | 'objects' | 'server_information' | 'application_namespaces'> }
  | { id: string; op: 'create'; name?: string; length?: number; algorithm?: 'AES' | 'TRIPLE_DES' }
  | { id: string; op: 'get' | 'activate' | 'get_attribute_list' | 'destroy'; uid: string }
  | { id: string; op: 'get_attributes'; uid: string; names?: string[] }
  | { id: string; op: 'locate'; name?: string; maximum_items?: number }
  | { id: string; op: 'register'; material: string; name?: string; algorithm?: 'AES' | 'TRIPLE_DES'; length?: number; secret?: boolean }
  | { id: string; op: 'revoke'; uid: string; reason?: string; message?: string };

export type StepResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; status?: string; reason?: string; message?: string | null; error?: string };

export interface StepsRun {
  exitCode: number;
  stderr: string;
  /** Each step's result by id; empty when the script could not connect or crashed. */
  steps: Record<string, StepResult>;
  /** The script's whole JSON line, for failure messages. */
  raw: string;
}

/** Runs `steps` with PyKMIP's ProxyKmipClient over one TLS connection at `kmipVersion`. */
export function runPykmipSteps(opts: {
  port: number;
  host?: string;
  files: LibraryFiles;
  kmipVersion: KmipVersionName;
  steps: PykmipStep[];
  timeoutMs?: number;
}): Promise<StepsRun> {
  const args = [...pykmipConnectionArgs(opts), '--steps', JSON.stringify(opts.steps), 'steps'];
  return new Promise((resolve) => {
    execFile(SYSTEM_PYTHON, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const exitCode = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      const raw = String(stdout).trim().split('\n').at(-1) ?? '';
      let steps: Record<string, StepResult> = {};
      try {
        const json = JSON.parse(raw) as { steps?: Record<string, StepResult> };
        steps = json.steps ?? {};
      } catch {
        steps = {};
      }
      resolve({ exitCode, stderr: String(stderr), steps, raw });
    });
  });
}

/** The run, once it is known that PyKMIP ran at all (`as`: the client it ran as, for the message). */
export function ranSteps(run: StepsRun | undefined, as?: string): StepsRun {
  if (!run || Object.keys(run.steps).length === 0) {
    throw new Error(`PyKMIP could not run${as ? ` as ${as}` : ''}: ${run?.raw || run?.stderr.slice(-2000)}`);
  }
  return run;
}

/** A step's value, or an error that says what the server answered instead. */
export function stepValue(run: StepsRun, id: string): Record<string, unknown> {
  const r = run.steps[id];
  if (r === undefined) throw new Error(`step ${id} did not run: ${run.raw || run.stderr.slice(-2000)}`);
  if (!r.ok) throw new Error(`step ${id} failed: ${JSON.stringify(r)}`);
  return r.value;
}

/** How one request on a library connection ended: answered, or the connection ended first. */
export type RequestOutcome = { answered: Buffer } | { ended: string };

/**
 * A library's TLS connection to qkmd with the files of its bundle, held open so that
 * several requests can go over it (a library keeps its connection between tape mounts).
 */
export interface LibraryConnection {
  /** Resolves with the reply, or with how the connection ended before one came. */
  request(frame: Uint8Array): Promise<RequestOutcome>;
  close(): void;
}

export async function connectLibrary(port: number, files: LibraryFiles): Promise<LibraryConnection | { ended: string }> {
  const [ca, cert, key] = await Promise.all([readFile(files.ca), readFile(files.cert), readFile(files.key)]);
  const socket = tls.connect({ host: '127.0.0.1', port, ca, cert, key, servername: 'localhost' });
  let ended: string | undefined;
  let pending: ((o: RequestOutcome) => void) | undefined;
  let buf = Buffer.alloc(0);
  const end = (why: string) => {
    ended ??= why;
    pending?.({ ended });
    pending = undefined;
  };
  socket.on('error', (err: NodeJS.ErrnoException) => end(err.code ?? err.message));
  socket.on('close', () => end('closed'));
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length >= 8 && buf.length >= 8 + buf.readUInt32BE(4)) {
      const reply = buf;
      buf = Buffer.alloc(0);
      pending?.({ answered: reply });
      pending = undefined;
    }
  });
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('secureConnect', () => resolve(true));
    socket.once('close', () => resolve(false));
  });
  if (!connected) return { ended: ended ?? 'closed' };
  return {
    request: (frame) =>
      new Promise((resolve) => {
        if (ended) return resolve({ ended });
        pending = resolve;
        socket.write(frame);
      }),
    close: () => socket.destroy(),
  };
}

/** Connect, send one request, close: 'answered', or how it ended without an answer. */
export async function requestOnce(port: number, files: LibraryFiles, frame: Uint8Array): Promise<string> {
  const conn = await connectLibrary(port, files);
  if ('ended' in conn) return conn.ended;
  const outcome = await conn.request(frame);
  conn.close();
  return 'answered' in outcome ? 'answered' : outcome.ended;
}

/**
 * Sends one KMIP request over its own mutually authenticated TLS connection, as `files`'s
 * library, and resolves with the whole response message (rejects if the server closes first).
 */
export async function kmipExchange(opts: { port: number; host?: string; files: LibraryFiles; request: Uint8Array }): Promise<Buffer> {
  const [ca, cert, key] = await Promise.all([readFile(opts.files.ca), readFile(opts.files.cert), readFile(opts.files.key)]);
  return exchangeFrame({ host: opts.host ?? '127.0.0.1', port: opts.port, ca, cert, key, servername: 'localhost' }, opts.request);
}

/** A TLS client with no certificate, refused by the key server; resolves once it is closed. */
export function refusedClient(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}
