import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The system interpreter: another python3 earlier on PATH may not see Debian's kmip package. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
export const PYKMIP_CLIENT_SCRIPT = fileURLToPath(new URL('../interop/pykmip-client.py', import.meta.url));
export { PYKMIP_WIRE_DIR } from '../../bench/pykmip-fixtures.js';

export type PykmipOperation = 'discover_versions' | 'query';

export interface PykmipRun {
  exitCode: number;
  /** The script's JSON line, or undefined when it printed none (it crashed). */
  json: Record<string, unknown> | undefined;
  stderr: string;
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Why PyKMIP cannot run here, or undefined when it can. */
export async function pykmipUnavailableReason(): Promise<string | undefined> {
  const r = await run(SYSTEM_PYTHON, ['-c', 'import kmip.services.kmip_client'], 20_000);
  if (r.code === 0) return undefined;
  return `${SYSTEM_PYTHON} cannot import kmip (install it: apt-get install -y python3-pykmip): ${r.stderr.trim().split('\n').at(-1) ?? ''}`;
}

export interface PykmipCredentials {
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

/** Write the PEMs PyKMIP reads from files into `dir`. */
export async function writePykmipCredentials(dir: string, creds: PykmipCredentials): Promise<{ ca: string; cert: string; key: string }> {
  const paths = { ca: join(dir, 'pykmip-ca.pem'), cert: join(dir, 'pykmip-client.pem'), key: join(dir, 'pykmip-client.key') };
  await writeFile(paths.ca, creds.caCertPem);
  await writeFile(paths.cert, creds.clientCertPem);
  await writeFile(paths.key, creds.clientKeyPem, { mode: 0o600 });
  return paths;
}

/** The client script's connection arguments: where to connect, with which certificates, at which KMIP version. */
export function pykmipConnectionArgs(opts: { host?: string; port: number; files: { ca: string; cert: string; key: string }; kmipVersion: string }): string[] {
  return [
    PYKMIP_CLIENT_SCRIPT,
    '--host', opts.host ?? '127.0.0.1',
    '--port', String(opts.port),
    '--ca', opts.files.ca,
    '--cert', opts.files.cert,
    '--key', opts.files.key,
    '--kmip-version', opts.kmipVersion,
  ];
}

/** Run one PyKMIP client operation against host:port and return its JSON. */
export async function runPykmip(opts: {
  port: number;
  host?: string;
  files: { ca: string; cert: string; key: string };
  operation: PykmipOperation;
  kmipVersion?: '1.0' | '1.1' | '1.2' | '1.3' | '1.4' | '2.0';
  timeoutMs?: number;
}): Promise<PykmipRun> {
  const args = [...pykmipConnectionArgs({ ...opts, kmipVersion: opts.kmipVersion ?? '1.2' }), opts.operation];
  const r = await run(SYSTEM_PYTHON, args, opts.timeoutMs ?? 30_000);
  const line = r.stdout.trim().split('\n').at(-1);
  let json: Record<string, unknown> | undefined;
  try {
    json = line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { exitCode: r.code, json, stderr: r.stderr };
}
