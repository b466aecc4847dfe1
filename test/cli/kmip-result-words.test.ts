import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultReason, ResultStatus } from '../../src/kmip/ttlv/index.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { kmipBatch } from '../helpers/kmip-tls.js';
import { type LibraryFiles, type QkmdKeyServer, prepareLibrary, qkmcmdsOk, startQkmdKeyServer } from '../helpers/qkmd-kmip.js';
import { V, attr, op } from '../kmip/operations-client.js';

/**
 * Issue 11 §4, as a tape library's operator reads it: a refused Create's Result Message
 * tells them to ask the key manager's administrator (they cannot run qkmcmds from the
 * library), while the administrator's `qkmcmds tickets` names the commands to run, as it
 * always did.
 */
const v = V['1.2'];
const ENV = { QKM_KEYS_I500: '20' };
let dir: string;
let qkmd: QkmdKeyServer | undefined;
const library: Record<string, LibraryFiles> = {};

beforeAll(async () => {
  dir = tempDir('qkm-words-');
  qkmd = await startQkmdKeyServer({ dataDir: dir, env: ENV });
  library.LIB1 = await prepareLibrary({ dataDir: dir, library: 'LIB1', dir: path.join(dir, 'LIB1'), keyClass: 'i500', env: ENV });
  library.LIB2 = await prepareLibrary({ dataDir: dir, library: 'LIB2', dir: path.join(dir, 'LIB2'), env: ENV });
});
afterAll(async () => {
  await qkmd?.stop();
  removeDir(dir);
});

async function refusedCreate(lib: string): Promise<string> {
  const r = await kmipBatch(qkmd!, library[lib]!, v, [op.create(v, [attr.altName('A00001L8')])]);
  expect(r.batchItems[0]).toMatchObject({ resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.GeneralFailure });
  return r.batchItems[0]!.resultMessage!;
}

describe("a refused Create's Result Message speaks to the library's operator", () => {
  it('keys not yet backed up: ask the administrator to back up the keystore, with the ticket; no command line', async () => {
    const message = await refusedCreate('LIB1');
    expect(message).toMatch(/^The keys of library LIB1 are not in any backup yet; ask the key manager's administrator to back up the keystore, then write the tape again\. \(ticket \d+\)$/);
    expect(message).not.toMatch(/qkmcmds/);
  });

  it('no key set: ask the administrator to generate keys for this library; the terminal still names the command', async () => {
    const message = await refusedCreate('LIB2');
    expect(message).toMatch(/^Library LIB2 has no key set on this server; ask the key manager's administrator to generate keys for this library and back them up\. \(ticket \d+\)$/);
    expect(message).not.toMatch(/qkmcmds/);

    const tickets = (await qkmcmdsOk(['--data-dir', dir, 'tickets'], ENV)).stdout;
    expect(tickets).toContain(`    Library LIB2 asked for a key to write a tape, but has no key set on this server; generate one with "qkmcmds keys generate --library LIB2 --class i500|i2000", then take a backup.\n`);
    expect(tickets).toContain(`    New keys were generated for library LIB1 and no backup holds them yet; run "qkmcmds backup" and copy both files off the server before the keys can be used.\n`);
    const json = JSON.parse((await qkmcmdsOk(['--data-dir', dir, 'tickets', '--json'], ENV)).stdout) as Record<string, unknown>[];
    expect(Object.keys(json[0]!)).toEqual(['id', 'condition', 'severity', 'text', 'openedAt', 'closedAt', 'open']);
    expect(json.map((t) => t.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^Library LIB2 asked for a key .*"qkmcmds keys generate --library LIB2/)]));
  });
});
