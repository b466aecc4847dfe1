/**
 * The reference baseline: PyKMIP's server (Debian python3-pykmip) from the project's
 * template, logging at WARNING, with certificates made by the project's make-certs.sh.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { freePort } from '../harness/free-port.js';
import path from 'node:path';
import { groups, type Target } from './processes.js';
import { PYKMIP_MAKE_CERTS, PYKMIP_SERVER_CONF } from './pykmip-fixtures.js';

const PYKMIP_SERVER = '/usr/bin/pykmip-server';

function waitForPort(port: number, child: ChildProcess, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`${what} exited with ${child.exitCode} before listening`));
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** PyKMIP's server from the project's template, certificates from make-certs.sh in our temp dir. */
export async function startPykmip(dir: string, children: ChildProcess[]): Promise<{ target: Target; child: ChildProcess }> {
  const certDir = path.join(dir, 'pykmip');
  const gen = spawnSync('sh', [PYKMIP_MAKE_CERTS, certDir], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`make-certs.sh failed: ${gen.stderr}`);
  await mkdir(path.join(certDir, 'policies'), { recursive: true });
  const port = await freePort();
  const template = await readFile(PYKMIP_SERVER_CONF, 'utf8');
  // The template logs at WARNING: the baseline is measured as PyKMIP would be run in earnest.
  const conf = template.replaceAll('{{DIR}}', certDir).replaceAll('{{PORT}}', String(port));
  const confFile = path.join(certDir, 'server.conf');
  await writeFile(confFile, conf);
  // Its own process group: the server forks helper processes that a signal to it alone leaves behind.
  const child = spawn(PYKMIP_SERVER, ['-f', confFile, '-l', path.join(certDir, 'server.log')], {
    cwd: certDir,
    stdio: 'ignore',
    detached: true,
  });
  groups.add(child);
  children.push(child);
  await waitForPort(port, child, 30_000, 'pykmip-server');
  const tls = {
    ca: await readFile(path.join(certDir, 'ca.crt'), 'utf8'),
    cert: await readFile(path.join(certDir, 'client.crt'), 'utf8'),
    key: await readFile(path.join(certDir, 'client.key'), 'utf8'),
  };
  return { target: { name: 'PyKMIP', port, tls, pid: child.pid! }, child };
}

