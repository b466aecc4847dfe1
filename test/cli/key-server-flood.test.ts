import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultStatus } from '../../src/kmip/ttlv/index.js';
import { QKMD } from '../helpers/cli.js';
import { initBackupKey } from '../helpers/backup-key.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { kmipBatch } from '../helpers/kmip-tls.js';
import { closedPattern, openIdleConnections, type IdleConnection } from '../helpers/idle-connections.js';
import { prepareLibrary, qkmcmdsOk, startQkmdKeyServer, type LibraryFiles, type QkmdKeyServer } from '../helpers/qkmd-kmip.js';
import { V, keyMaterialOf, op } from '../kmip/operations-client.js';

/**
 * The attack as it was found: 2,100 plain TCP connections to a real qkmd (defaults: 2,048
 * connections at most, 32 unauthenticated from one address) that never send a byte, from
 * the address a library also uses. Today the library's connection is reset at once.
 */
const FLOOD = 2100;
const ENV = { QKM_KEYS_I500: '20' };

let dir: string;
let qkmd: QkmdKeyServer;
let files: LibraryFiles;
const idle: IdleConnection[] = [];

beforeAll(async () => {
  dir = tempDir('qkm-flood-');
  const dataDir = path.join(dir, 'data');
  qkmd = await startQkmdKeyServer({ dataDir, env: ENV });
  files = await prepareLibrary({ dataDir, library: 'LIB1', dir: path.join(dir, 'lib1'), keyClass: 'i500', env: ENV });
  initBackupKey(dataDir);
  await qkmcmdsOk(['--data-dir', dataDir, 'backup'], ENV);
}, 60_000);
afterAll(async () => {
  for (const c of idle) c.socket.destroy();
  await qkmd?.stop();
  if (dir) removeDir(dir);
});

/** A Create and a Get of the key it hands out, in one batch, as LIB1 over TLS from 127.0.0.1. */
const createAndGet = () => kmipBatch(qkmd, files, V['1.2'], [op.create(V['1.2']), op.get()]);

describe('qkmd under a flood of connections that never authenticate', () => {
  it('still serves a library with a valid certificate, closing the oldest strangers', async () => {
    idle.push(...(await openIdleConnections(qkmd.port, FLOOD)));
    const answer = await createAndGet();
    expect(answer.batchItems.map((b) => b.resultStatus)).toEqual([ResultStatus.Success, ResultStatus.Success]);
    expect(keyMaterialOf(answer.batchItems[1]!)).toHaveLength(32);

    // The newest strangers from this address are the ones still open; every older one was closed.
    await new Promise((r) => setTimeout(r, 300));
    const pattern = closedPattern(idle);
    expect(pattern).toMatch(/^x+\.+$/);
    expect(pattern.replaceAll('x', '').length).toBeGreaterThanOrEqual(30);
    expect(pattern.replaceAll('x', '').length).toBeLessThanOrEqual(32);

    // Thousands of connections closed, a handful of log lines.
    const log = readFileSync(path.join(qkmd.dataDir, 'logs', 'qkmd.log'), 'utf8');
    const refused = log.split('\n').filter((l) => l.includes('refused a key server client'));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(5);
  }, 60_000);
});

describe('the connection bounds in the config', () => {
  it('refuses bounds that would leave no room for libraries, in one sentence', () => {
    const r = spawnSync(process.execPath, [QKMD, '--data-dir', path.join(dir, 'other')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', QKM_KMIP_PORT: '0', QKM_KMIP_MAX_CONNECTIONS: '100', QKM_KMIP_MAX_UNAUTHENTICATED: '100' },
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'qkmd: kmip.max_unauthenticated is 100, but it must be less than kmip.max_connections (100) so that libraries always find room; lower it or raise max_connections.\n',
    );
  });
});
