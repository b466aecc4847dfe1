import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { decodeResponseMessage, encodeRequestMessage } from '../../src/kmip/messages/index.js';
import { ResultReason, ResultStatus } from '../../src/kmip/ttlv/index.js';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { initBackupKey } from '../helpers/backup-key.js';
import { exchangeFrame } from '../helpers/kmip-tls.js';
import { V, keyMaterialOf, op, uidOf } from '../kmip/operations-client.js';

/**
 * The whole path a tape library takes, through real processes and sockets: qkmd serving
 * KMIP on TLS, a set generated and backed up with qkmcmds, the library's certificate
 * bundle, then Create (the next key of the set) and Get by ID placeholder in one batch.
 */
let dir: string;
let qkmd: Awaited<ReturnType<typeof startQkmd>>;
let port: number;
const bundles: Record<string, { ca: Buffer; cert: Buffer; key: Buffer }> = {};

async function bundleFor(library: string) {
  const out = path.join(dir, `${library}.tgz`);
  const r = qkmcmds(['--data-dir', dir, 'certs', 'library-bundle', '--library', library, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const into = tempDir('qkm-bundle-');
  await tar.x({ file: out, cwd: into });
  const read = (f: string) => readFileSync(path.join(into, f));
  bundles[library] = { ca: read('ca.pem'), cert: read('client.pem'), key: read('client.key') };
  removeDir(into);
}

function exchange(library: string | undefined, request: Uint8Array): Promise<Buffer> {
  const b = library ? bundles[library]! : bundles.LIB1!;
  return exchangeFrame({
    host: '127.0.0.1', port, ca: b.ca, servername: 'localhost', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2',
    ...(library ? { cert: b.cert, key: b.key } : {}),
  }, request);
}

beforeAll(async () => {
  dir = tempDir('qkm-keyserver-');
  qkmd = await startQkmd(['--data-dir', dir]);
  port = Number(/key server listening on 127\.0\.0\.1:(\d+)/.exec(qkmd.output().stdout)![1]);
  const gen = qkmcmds(['--data-dir', dir, 'keys', 'generate', '--library', 'LIB1', '--class', 'i500'], { QKM_KEYS_I500: '50' });
  expect(gen.code, gen.stderr).toBe(0);
  await bundleFor('LIB1');
  await bundleFor('LIB2');
});
afterAll(async () => {
  qkmd.child.kill('SIGTERM');
  await qkmd.exited;
  removeDir(dir);
});

describe('qkmd key server', () => {
  it('refuses keys still pending backup, then serves the next key of the set after a backup', async () => {
    const create = () => encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: 2 }, batchItems: [op.create(V['1.2']), op.get()] });
    const before = decodeResponseMessage(await exchange('LIB1', create()));
    expect(before.batchItems[0]!.resultStatus).toBe(ResultStatus.OperationFailed);
    expect(before.batchItems[0]!.resultMessage).toMatch(/not in any backup yet/);

    initBackupKey(dir);
    expect(qkmcmds(['--data-dir', dir, 'backup']).code).toBe(0);
    const r = decodeResponseMessage(await exchange('LIB1', create()));
    expect(r.protocolVersion).toEqual(V['1.2']);
    expect(r.batchItems.map((b) => b.resultStatus)).toEqual([ResultStatus.Success, ResultStatus.Success]);
    const name = uidOf(r.batchItems[0]!);
    const db = new Database(path.join(dir, 'keystore', 'keystore.db'), { readonly: true });
    const first = db.prepare('SELECT name FROM keys ORDER BY seq LIMIT 1').pluck().get();
    db.close();
    expect(name).toBe(first); // not a fresh key: the first key of LIB1's set
    expect(keyMaterialOf(r.batchItems[1]!)).toHaveLength(32);
  });

  it("another library cannot read LIB1's key: Item Not Found, not Permission Denied", async () => {
    const mine = decodeResponseMessage(await exchange('LIB1', encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: 1 }, batchItems: [op.create(V['1.2'])] })));
    const name = uidOf(mine.batchItems[0]!);
    const theirs = decodeResponseMessage(await exchange('LIB2', encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: 1 }, batchItems: [op.get(name)] })));
    expect(theirs.batchItems[0]!.resultStatus).toBe(ResultStatus.OperationFailed);
    expect(theirs.batchItems[0]!.resultReason).toBe(1); // Item Not Found
  });

  it('refuses a client without a certificate during the handshake', async () => {
    await expect(exchange(undefined, Buffer.alloc(8))).rejects.toThrow();
  });

  it('a second qkmd on a taken port stops with one sentence', async () => {
    const other = tempDir('qkm-port-');
    try {
      const e = await startQkmd(['--data-dir', other], { QKM_KMIP_PORT: String(port) }).then(() => 'started', (x: Error) => x.message);
      expect(e).toMatch(/qkmd: The key server cannot listen on 127\.0\.0\.1:\d+ \(the port is in use\); stop what uses it, or set \[kmip\] host and port/);
    } finally {
      removeDir(other);
    }
  });

  it('qkmcmds key-service stop refuses libraries; start serves them again', async () => {
    const query = () => encodeRequestMessage({ header: { protocolVersion: V['1.4'], batchCount: 1 }, batchItems: [op.query(1)] });
    const stop = qkmcmds(['--data-dir', dir, 'key-service', 'stop']);
    expect(stop).toMatchObject({ code: 0, stdout: 'The key service is stopped: libraries are refused until "qkmcmds key-service start".\n' });
    await expect(exchange('LIB1', query())).rejects.toThrow();
    expect(qkmcmds(['--data-dir', dir, 'hw', 'status', '--json']).code).toBe(0); // the hardware agent keeps running
    expect(qkmcmds(['--data-dir', dir, 'key-service', 'status']).stdout).toMatch(/^The key service is stopped/);
    expect(qkmcmds(['--data-dir', dir, 'key-service', 'start']).stdout).toMatch(/^The key service is running/);
    const ok = decodeResponseMessage(await exchange('LIB1', query()));
    expect(ok.batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
  });

  it('answers garbage that is not KMIP by closing the connection, and keeps serving', async () => {
    await expect(exchange('LIB1', Buffer.from('GET / HTTP/1.1\r\n\r\n'))).rejects.toThrow(/closed without a response/);
    const ok = decodeResponseMessage(await exchange('LIB1', encodeRequestMessage({ header: { protocolVersion: V['1.4'], batchCount: 1 }, batchItems: [op.query(1)] })));
    expect(ok.batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
  });

  it('answers a request over the 1 MiB bound with Invalid Message before closing, having read none of its body', async () => {
    const request = Buffer.from(encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: 1 }, batchItems: [op.query(1)] }));
    request.writeUInt32BE(64 * 1024 * 1024, 4); // claims 64 MiB and sends only its start
    const r = decodeResponseMessage(await exchange('LIB1', request));
    expect(r.protocolVersion).toEqual(V['1.2']);
    expect(r.batchItems[0]).toMatchObject({ resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.InvalidMessage });
    expect(r.batchItems[0]!.resultMessage).toMatch(/over this server's limit of 1048576 bytes/);
  });
});
