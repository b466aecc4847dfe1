import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponseBatchItem } from '../../src/kmip/messages/index.js';
import { ResultReason, ResultStatus } from '../../src/kmip/ttlv/index.js';
import { TEST_PASSPHRASE, initBackupKey } from '../helpers/backup-key.js';
import { qkmcmds } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { kmipBatch } from '../helpers/kmip-tls.js';
import { type LibraryFiles, type QkmdKeyServer, prepareLibrary, qkmcmdsOk, startQkmdKeyServer } from '../helpers/qkmd-kmip.js';
import { V, attr, attributesOf, keyMaterialOf, op, uidOf, uidsOf } from '../kmip/operations-client.js';

/**
 * Issue 10, finding 1, as the administrator and a tape library live it, through real
 * processes and TLS: keys handed out after the last backup are readable again after
 * restore and sync, by their library only, and never handed out again.
 */
const v = V['1.2'];
let dir: string;
let qkmd: QkmdKeyServer | undefined;
const library: Record<string, LibraryFiles> = {};

beforeAll(async () => {
  dir = tempDir('qkm-sync-');
  qkmd = await startQkmdKeyServer({ dataDir: dir });
  library.LIB1 = await prepareLibrary({ dataDir: dir, library: 'LIB1', dir: path.join(dir, 'LIB1'), keyClass: 'i500' });
  library.LIB2 = await prepareLibrary({ dataDir: dir, library: 'LIB2', dir: path.join(dir, 'LIB2') });
});
afterAll(async () => {
  await qkmd?.stop();
  removeDir(dir);
});

const send = (lib: 'LIB1' | 'LIB2', ...items: Parameters<typeof kmipBatch>[3]) => kmipBatch(qkmd!, library[lib]!, v, items);

function ok(b: ResponseBatchItem | undefined): ResponseBatchItem {
  expect(b, 'no batch item').toBeDefined();
  expect(b!.resultStatus, b!.resultMessage).toBe(ResultStatus.Success);
  return b!;
}

function notFound(b: ResponseBatchItem | undefined): void {
  expect(b).toMatchObject({ resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.ItemNotFound });
}

describe('restore, then sync --last-key, then the library reads its tapes', () => {
  it('every key up to the last one used answers Get, Get Attributes and Locate by name for its library only; the next Create gets a fresh key; the barcode comes back', async () => {
    const backups = path.join(dir, 'backups-out');
    initBackupKey(dir);
    await qkmcmdsOk(['--data-dir', dir, 'backup', '--to', backups]);
    const tapes = ['A00001L8', 'A00002L8', 'A00003L8'];
    const given: { uid: string; material: Buffer }[] = [];
    for (const [i, tape] of tapes.entries()) {
      const r = await send('LIB1', op.create(v, [attr.altName(tape), attr.asi(`0A0B0C0${i}`)]), op.get());
      given.push({ uid: uidOf(ok(r.batchItems[0])), material: keyMaterialOf(ok(r.batchItems[1])) });
    }
    expect(given.map((g) => g.uid.slice(-6))).toEqual(['000000', '000001', '000002']);
    await qkmd!.stop();

    const files = readdirSync(backups);
    const app = files.find((f) => f.startsWith('QKMApp'))!;
    const data = files.find((f) => f.startsWith('QKMData'))!;
    const restored = qkmcmds(['--data-dir', dir, 'restore', '--yes', path.join(backups, app), path.join(backups, data)], {}, `${TEST_PASSPHRASE}\n`);
    expect(restored.code, restored.stderr).toBe(0);
    const sync = await qkmcmdsOk(['--data-dir', dir, 'sync', '--last-key', given[2]!.uid]);
    qkmd = await startQkmdKeyServer({ dataDir: dir });

    for (const g of given) {
      const r = await send('LIB1', op.get(g.uid), op.getAttributes(v, g.uid), op.locate(v, [attr.name(g.uid)]));
      expect(keyMaterialOf(ok(r.batchItems[0])).equals(g.material)).toBe(true);
      const attrs = attributesOf(ok(r.batchItems[1]), v);
      expect(attrs.get('State')).toEqual([{ type: 'Enumeration', value: 2 }]); // Active: it protects data on a tape
      expect(attrs.get('y-Recovered')).toHaveLength(1);
      expect(attrs.has('Alternative Name')).toBe(false); // unknown, not invented
      expect(uidsOf(ok(r.batchItems[2]))).toEqual([g.uid]);

      notFound((await send('LIB2', op.get(g.uid))).batchItems[0]);
      notFound((await send('LIB2', op.getAttributes(v, g.uid))).batchItems[0]);
      expect(uidsOf(ok((await send('LIB2', op.locate(v, [attr.name(g.uid)]))).batchItems[0]))).toEqual([]);
    }

    // Never handed out again: the next tape gets the key after the last one used.
    const fresh = await send('LIB1', op.create(v, [attr.altName('A00004L8')]));
    expect(uidOf(ok(fresh.batchItems[0]))).toBe(given[2]!.uid.replace(/000002$/, '000003'));

    // The library sends the barcode again; Locate by it finds the key.
    ok((await send('LIB1', op.addAttribute(v, given[0]!.uid, attr.altName(tapes[0]!)))).batchItems[0]);
    const located = await send('LIB1', op.locate(v, [attr.altName(tapes[0]!)]), op.get());
    expect(uidsOf(ok(located.batchItems[0]))).toEqual([given[0]!.uid]);
    expect(keyMaterialOf(ok(located.batchItems[1])).equals(given[0]!.material)).toBe(true);

    expect(sync.stdout).toMatch(/Library LIB1 is synchronised: 3 key\(s\) it was given after the backup, up to \S+, recovered as readable objects/);
    await qkmd!.stop();
    qkmd = undefined;
    expect((await qkmcmdsOk(['--data-dir', dir, 'check'])).stdout).toMatch(/^Keystore OK/);
  });
});
