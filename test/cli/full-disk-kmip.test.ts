import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponseBatchItem } from '../../src/kmip/messages/index.js';
import { ResultReason, ResultStatus } from '../../src/kmip/ttlv/index.js';
import { kmipBatch } from '../helpers/kmip-tls.js';
import { type LibraryFiles, type QkmdKeyServer, prepareLibrary, startQkmdKeyServer } from '../helpers/qkmd-kmip.js';
import { type Tmpfs, fillDisk, freshTmpfs } from '../helpers/tmpfs.js';
import { V, attr, keyMaterialOf, op, uidOf } from '../kmip/operations-client.js';

/**
 * Issue 10, finding 2, as a tape library lives it: the disk under the keystore fills while
 * qkmd serves. A Create is then answered, not dropped: Operation Failed saying the disk is
 * full, nothing allocated; keys already given are still read; with space back, the next
 * Create gets the next key (the refused ones took none).
 */
const v = V['1.2'];
const ENV = { QKM_KEYS_I500: '20', QKM_KEYS_REQUIRE_BACKUP: 'false' };
let fs: Tmpfs | { skip: string };
let qkmd: QkmdKeyServer | undefined;
let lib: LibraryFiles;

beforeAll(async () => {
  fs = freshTmpfs(3 * 1024 * 1024);
  if ('skip' in fs) return;
  const dataDir = path.join(fs.dir, 'data');
  qkmd = await startQkmdKeyServer({ dataDir, env: ENV });
  lib = await prepareLibrary({ dataDir, library: 'LIB1', dir: path.join(fs.dir, 'lib1'), keyClass: 'i500', env: ENV });
});
afterAll(async () => {
  await qkmd?.stop();
  if ('dir' in fs) fs.unmount();
});

const send = (...items: Parameters<typeof kmipBatch>[3]) => kmipBatch(qkmd!, lib, v, items);
const ok = (b: ResponseBatchItem | undefined) => {
  expect(b?.resultStatus, b?.resultMessage).toBe(ResultStatus.Success);
  return b!;
};

describe('a full disk under the keystore', () => {
  it('answers a Create with Operation Failed and allocates nothing; Gets go on; with space back the next key is handed out', async (ctx) => {
    if ('skip' in fs) return ctx.skip(fs.skip);
    const first = await send(op.create(v, [attr.altName('A00001L8')]), op.get());
    const uid = uidOf(ok(first.batchItems[0]));
    const material = keyMaterialOf(ok(first.batchItems[1]));

    const filler = fillDisk(fs.dir);
    for (let i = 0; i < 3; i++) {
      const refused = await send(op.create(v, [attr.altName(`B0000${i}L8`)]));
      expect(refused.batchItems[0]).toMatchObject({ resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.GeneralFailure });
      expect(refused.batchItems[0]!.resultMessage).toMatch(/disk is full, so nothing was changed/);
    }
    const read = await send(op.get(uid));
    expect(keyMaterialOf(ok(read.batchItems[0])).equals(material)).toBe(true);

    rmSync(filler);
    const next = await send(op.create(v, [attr.altName('A00002L8')]));
    expect(uidOf(ok(next.batchItems[0])).slice(-6)).toBe('000001');
  });
});
