import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponseMessage, encodeRequestMessage, type ResponseMessage } from '../../src/kmip/messages/index.js';
import { ResultStatus } from '../../src/kmip/ttlv/index.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type LibraryFiles, type QkmdKeyServer, kmipExchange, prepareLibrary, refusedClient, startQkmdKeyServer } from '../helpers/qkmd-kmip.js';
import { fillDisk, mountTmpfs, tmpfsUnavailable, unmount } from '../helpers/tmpfs.js';
import { V, keyMaterialOf, op, uidOf } from '../kmip/operations-client.js';

/**
 * qkmd's logs against a hostile or unlucky world, through a real qkmd on real TLS: a
 * client's megabyte-long identifier is neither echoed nor logged in full, the log rotates
 * under its cap, and a full disk under the logs stops neither qkmd nor its Gets.
 */

/** Keys usable without a backup: backups are not what these tests are about. */
const NO_BACKUP_RULE = { QKM_KEYS_REQUIRE_BACKUP: 'false' };

/** Library LIB1's certificate bundle unpacked in `<dataDir>-LIB1`, with a small key set if asked. */
function libraryOn(dataDir: string, withKeys = false): Promise<LibraryFiles> {
  return prepareLibrary({ dataDir, library: 'LIB1', dir: `${dataDir}-LIB1`, ...(withKeys && { keyClass: 'i500' }), env: { QKM_KEYS_I500: '50' } });
}

/** KMIP's Batch Error Continuation Option Continue: every item of a batch runs, each refusal is logged. */
const CONTINUE = 1;

async function send(server: QkmdKeyServer, files: LibraryFiles, items: Parameters<typeof encodeRequestMessage>[0]['batchItems']): Promise<ResponseMessage> {
  const request = encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: items.length, batchErrorContinuationOption: CONTINUE }, batchItems: items });
  return decodeResponseMessage(await kmipExchange({ port: server.port, files, request }));
}

/** Every file of qkmd's log, oldest first, with its lines; throws on a line that is not whole JSON. */
function logFiles(dataDir: string): { name: string; bytes: number; lines: Record<string, unknown>[] }[] {
  const dir = path.join(dataDir, 'logs');
  const names = readdirSync(dir).filter((n) => /^qkmd\.log(\.\d+)?$/.test(n));
  names.sort((a, b) => Number(b.split('.')[2] ?? 0) - Number(a.split('.')[2] ?? 0));
  return names.map((name) => {
    const text = readFileSync(path.join(dir, name), 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) throw new Error(`${name} ends in a half line: ${JSON.stringify(text.slice(-200))}`);
    const lines = text.split('\n').slice(0, -1).map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`${name} line ${i + 1} is not a whole log line: ${JSON.stringify(l.slice(0, 200))}`);
      }
    });
    return { name, bytes: Buffer.byteLength(text), lines };
  });
}

function allLines(dataDir: string): Record<string, unknown>[] {
  return logFiles(dataDir).flatMap((f) => f.lines);
}

async function eventually(check: () => void, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('what a client sends is bounded in answers and logs; the log rotates under its cap', () => {
  let dataDir: string;
  let files: LibraryFiles;
  let server: QkmdKeyServer;
  const MAX_FILE_KIB = 16;
  const MAX_TOTAL_KIB = 64;

  beforeAll(async () => {
    dataDir = tempDir('qkm-logs-');
    server = await startQkmdKeyServer({ dataDir, env: { QKM_LOG_MAX_FILE_KIB: String(MAX_FILE_KIB), QKM_LOG_MAX_TOTAL_KIB: String(MAX_TOTAL_KIB) } });
    files = await libraryOn(dataDir);
  });
  afterAll(async () => {
    await server?.stop();
    removeDir(dataDir);
    removeDir(`${dataDir}-LIB1`);
  });

  it('a Get whose Unique Identifier is a megabyte long is answered and logged with a capped identifier', async () => {
    const long = 'A'.repeat(1_000_000);
    const answer = await send(server, files, [op.get(long)]);
    for (const item of answer.batchItems) {
      expect(item.resultStatus).toBe(ResultStatus.OperationFailed);
      expect(item.resultReason).toBe(1); // Item Not Found
      expect(item.resultMessage).toMatch(/^No key "A{80}"… \(1000000 characters\) is known to library LIB1\.$/);
    }
    await eventually(() => {
      const refused = allLines(dataDir).filter((l) => l.msg === 'KMIP operation refused' && String(l.message).includes('(1000000 characters)'));
      expect(refused).toHaveLength(1);
      for (const line of refused) expect(JSON.stringify(line).length).toBeLessThan(1024);
    });
    expect(server.child.exitCode).toBeNull();
  });

  it(`rotates at [log] max_file_kib and keeps every file of the log within [log] max_total_kib`, async () => {
    // 32 refused Gets a request, each logged (about 300 bytes a line): some 200 KiB of lines.
    for (let r = 0; r < 20; r++) {
      const answer = await send(server, files, Array.from({ length: 32 }, (_, i) => op.get(`NO-SUCH-KEY-${r}-${i}-${'x'.repeat(40)}`)));
      expect(answer.batchItems.every((b) => b.resultStatus === ResultStatus.OperationFailed)).toBe(true);
    }
    await eventually(() => expect(allLines(dataDir).some((l) => String(l.message).includes('NO-SUCH-KEY-19-31-'))).toBe(true));
    const log = logFiles(dataDir);
    expect(log.map((f) => f.name)).toEqual(['qkmd.log.3', 'qkmd.log.2', 'qkmd.log.1', 'qkmd.log']);
    for (const f of log) expect(f.bytes).toBeLessThanOrEqual(MAX_FILE_KIB * 1024);
    expect(log.reduce((n, f) => n + f.bytes, 0)).toBeLessThanOrEqual(MAX_TOTAL_KIB * 1024);
    // The newest lines are kept, the oldest went first.
    expect(log.at(-1)!.lines.some((l) => String(l.message).includes('NO-SUCH-KEY-19-31-'))).toBe(true);
    expect(allLines(dataDir).some((l) => l.msg === 'qkmd started')).toBe(false);
  });
});

const noTmpfs = tmpfsUnavailable();
if (noTmpfs) console.warn(`test/cli/qkmd-logs.test.ts: the full-disk test is skipped: ${noTmpfs}`);

describe.skipIf(noTmpfs !== undefined)('a full disk under the logs (a small tmpfs)', () => {
  let dataDir: string;
  let logsDir: string;
  let files: LibraryFiles;
  let server: QkmdKeyServer | undefined;
  let mounted = false;

  beforeAll(async () => {
    dataDir = tempDir('qkm-fulllog-');
    logsDir = path.join(dataDir, 'logs');
    mkdirSync(logsDir);
    const problem = mountTmpfs(logsDir, 256 * 1024);
    if (problem) throw new Error(problem);
    mounted = true;
    server = await startQkmdKeyServer({ dataDir, env: NO_BACKUP_RULE });
    files = await libraryOn(dataDir, true);
  });
  afterAll(async () => {
    await server?.stop();
    if (mounted) unmount(logsDir);
    removeDir(dataDir);
    removeDir(`${dataDir}-LIB1`);
  });

  it('qkmd keeps serving Gets, says once that logging fails, leaves no half line, and logs again once there is room', async () => {
    const s = server!;
    const created = await send(s, files, [op.create(V['1.2'])]);
    expect(created.batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
    const uid = uidOf(created.batchItems[0]!);

    const filler = fillDisk(logsDir);
    for (let round = 0; round < 10; round++) {
      // Refusals of clients without a certificate, and KMIP refusals: each one a log line.
      await Promise.all(Array.from({ length: 5 }, () => refusedClient(s.port)));
      const answer = await send(s, files, [op.get(uid), op.get(`NO-SUCH-KEY-${round}`)]);
      expect(answer.batchItems.map((b) => b.resultStatus)).toEqual([ResultStatus.Success, ResultStatus.OperationFailed]);
      expect(keyMaterialOf(answer.batchItems[0]!)).toHaveLength(32);
    }
    expect(s.child.exitCode).toBeNull();
    expect(s.child.signalCode).toBeNull();
    const said = s.output().stderr.split('\n').filter((l) => l.includes('cannot write its log'));
    expect(said).toEqual([`qkmd: cannot write its log ${path.join(logsDir, 'qkmd.log')} (the disk is full); it keeps running without it and logs again as soon as it can.`]);
    const whileFull = allLines(dataDir); // throws on a half line
    expect(whileFull.some((l) => l.message === 'No key "NO-SUCH-KEY-9" is known to library LIB1.')).toBe(false);

    rmSync(filler);
    await refusedClient(s.port);
    const after = await send(s, files, [op.get(uid), op.get('NO-SUCH-KEY-after')]);
    expect(after.batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
    await eventually(() => {
      const lines = allLines(dataDir);
      const resumed = lines.findIndex((l) => String(l.msg).startsWith('logging resumed:'));
      expect(resumed).toBeGreaterThanOrEqual(0);
      expect(lines[resumed]!.lostLines).toBeGreaterThan(0);
      expect(lines.slice(resumed).some((l) => l.message === 'No key "NO-SUCH-KEY-after" is known to library LIB1.')).toBe(true);
    });
    expect(existsSync(filler)).toBe(false);
    expect(statSync(path.join(logsDir, 'qkmd.log')).size).toBeGreaterThan(0);
  });
});
