/**
 * Key servers for the simulated tape library, as tests and benchmarks start them: real
 * qkmd processes on loopback sharing one CA (copied into each data directory before its
 * first start, as a pair's servers will share theirs), the library's certificate bundle
 * from the first, and the library's TOML configuration pointing at them.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QKMCMDS, type RunningQkmd, startQkmdProcess } from './qkmd.js';

export interface KeyServer {
  dataDir: string;
  port: number;
  process: RunningQkmd;
}

/** Starts (or starts again, on its port) the qkmd of `dataDir`. */
export async function startKeyServer(dataDir: string, env: Record<string, string> = {}, port = 0): Promise<KeyServer> {
  const qkmd = await startQkmdProcess({ args: ['--data-dir', dataDir], env: { ...env, QKM_KMIP_PORT: String(port) }, timeoutMs: 30_000 });
  return { dataDir, port: qkmd.port, process: qkmd };
}

/** `count` servers under `root` (a, b, ...); the later ones start with the first one's CA. */
export async function startKeyServers(root: string, count: number, env: Record<string, string> = {}): Promise<KeyServer[]> {
  const first = await startKeyServer(path.join(root, 'a'), env);
  const servers = [first];
  for (let i = 1; i < count; i++) {
    const dataDir = path.join(root, String.fromCharCode(97 + i));
    mkdirSync(path.join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
    for (const f of ['ca.pem', 'ca.key']) copyFileSync(path.join(first.dataDir, 'tls', f), path.join(dataDir, 'tls', f));
    servers.push(await startKeyServer(dataDir, env));
  }
  return servers;
}

export function qkmcmds(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [QKMCMDS, ...args], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The bundle `qkmcmds certs library-bundle` writes for `library` on the server of `dataDir`. */
export async function libraryBundle(dataDir: string, library: string, out: string): Promise<string> {
  const r = await qkmcmds(['--data-dir', dataDir, 'certs', 'library-bundle', '--library', library, '--out', out]);
  if (r.code !== 0) throw new Error(`certs library-bundle failed: ${r.stderr}`);
  return out;
}

export interface LibraryConfigSpec {
  cls: 'i500' | 'i2000';
  bundle: string;
  stateDir: string;
  /** Primary first. */
  ports: number[];
  partitions: Record<string, string[]>;
  timeoutSeconds?: number;
}

/** Writes the library's configuration file and returns its path. */
export function writeLibraryConfig(file: string, spec: LibraryConfigSpec): string {
  const roles = ['primary', 'secondary'];
  const lines = [
    `class = "${spec.cls}"`,
    `bundle = ${JSON.stringify(spec.bundle)}`,
    `state_dir = ${JSON.stringify(spec.stateDir)}`,
    '',
    '[servers]',
    ...spec.ports.map((p, i) => `${roles[i]} = "127.0.0.1:${p}"`),
    `timeout_seconds = ${spec.timeoutSeconds ?? 5}`,
    ...Object.entries(spec.partitions).flatMap(([name, drives]) => ['', '[[partition]]', `name = "${name}"`, `drives = ${JSON.stringify(drives)}`]),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
