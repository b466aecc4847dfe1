import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponseBatchItem } from '../../src/kmip/messages/index.js';
import { ResultStatus } from '../../src/kmip/ttlv/index.js';
import { qkmcmds } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { kmipBatch } from '../helpers/kmip-tls.js';
import { type PairServerProcess, freePort, pairCli, pairEnv, pairUp, readKeystore, startPaired, waitReplicated } from '../helpers/pair.js';
import { type LibraryFiles, prepareLibrary, qkmcmdsOk, runQkmcmds } from '../helpers/qkmd-kmip.js';
import { V, attr, keyMaterialOf, op, uidOf } from '../kmip/operations-client.js';

/**
 * Replication between two real qkmd processes on loopback: what a library is given by one
 * server is readable from the other; a peer killed with SIGKILL catches up when it
 * returns, with nothing lost and nothing applied twice.
 */
const v = V['1.2'];
let root: string;
let a: PairServerProcess;
let b: PairServerProcess;
let envB: Record<string, string>;
const lib: Record<'A' | 'B', LibraryFiles | undefined> = { A: undefined, B: undefined };

function ok(item: ResponseBatchItem | undefined): ResponseBatchItem {
  expect(item?.resultStatus, item?.resultMessage).toBe(ResultStatus.Success);
  return item!;
}

const via = (s: PairServerProcess, files: LibraryFiles, ...items: Parameters<typeof kmipBatch>[3]) => kmipBatch({ host: s.qkmd.host, port: s.qkmd.port }, files, v, items);

async function writeTape(tape: string): Promise<{ uid: string; material: Buffer }> {
  const r = await via(a, lib.A!, op.create(v, [attr.altName(tape)]), op.get());
  return { uid: uidOf(ok(r.batchItems[0])), material: keyMaterialOf(ok(r.batchItems[1])) };
}

async function readsOnB(tapes: { uid: string; material: Buffer }[]): Promise<void> {
  for (const t of tapes) {
    const r = await via(b, lib.B!, op.get(t.uid));
    expect(keyMaterialOf(ok(r.batchItems[0])).equals(t.material)).toBe(true);
  }
}

beforeAll(async () => {
  root = tempDir('qkm-repl-');
  const [portA, portB] = [await freePort(), await freePort()];
  const envA = pairEnv({ role: 'primary', serial: 'QKMREPA1', port: portA, peer: `127.0.0.1:${portB}` });
  envB = pairEnv({ role: 'secondary', serial: 'QKMREPB1', port: portB, peer: `127.0.0.1:${portA}` });
  [a, b] = await Promise.all([startPaired(path.join(root, 'a'), envA), startPaired(path.join(root, 'b'), envB)]);
  await pairUp(a, b);
  lib.A = await prepareLibrary({ dataDir: a.dir, library: 'LIB1', dir: path.join(root, 'lib-a'), keyClass: 'i500', env: envA });
  // Until library bundles trust both servers' CAs, the library holds a bundle of each.
  lib.B = await prepareLibrary({ dataDir: b.dir, library: 'LIB1', dir: path.join(root, 'lib-b'), env: envB });
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.qkmd.stop(), b?.qkmd.stop()]);
  removeDir(root);
});

describe('replication between the servers of a pair', () => {
  it('a key handed out by one server is read from the other; the other never hands it out', async () => {
    const tapes = [await writeTape('A00001L8'), await writeTape('A00002L8')];
    await waitReplicated(a);
    await readsOnB(tapes);
    const create = await via(b, lib.B!, op.create(v, [attr.altName('B00001L8')]));
    expect(create.batchItems[0]!.resultStatus).toBe(ResultStatus.OperationFailed);
    // B holds A's set as a copy: 64 keys, the two handed out marked so, with their tapes.
    const copy = readKeystore(b.dir, (db) => db.prepare("SELECT state, tape FROM keys WHERE origin = 'peer' ORDER BY seq").all() as { state: string; tape: string | null }[]);
    expect(copy).toHaveLength(64);
    expect(copy.filter((k) => k.state === 'allocated').map((k) => k.tape)).toEqual(['A00001L8', 'A00002L8']);
    // Trimmed behind the acknowledgement.
    expect(readKeystore(a.dir, (db) => db.prepare('SELECT COUNT(*) FROM journal').pluck().get())).toBe(0);
  });

  it('a peer killed with SIGKILL catches up when it returns: nothing lost, nothing applied twice', async () => {
    b.qkmd.child.kill('SIGKILL');
    await b.qkmd.exited;
    const written = [];
    for (let i = 0; i < 5; i++) written.push(await writeTape(`C0000${i}L8`));
    const down = JSON.parse((await pairCli(a, ['status', '--json'])).stdout) as { reachable: boolean; lagEntries: number }[];
    expect(down[0]).toMatchObject({ reachable: false, lagEntries: 10 }); // an allocation and an object for each tape

    b = await startPaired(b.dir, envB);
    await waitReplicated(a);
    await readsOnB(written);
    const lastA = readKeystore(a.dir, (db) => db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'journal'").pluck().get() as number);
    const appliedB = readKeystore(b.dir, (db) => db.prepare("SELECT applied_seq FROM peers WHERE name = 'QKMREPA1'").pluck().get() as number);
    expect(appliedB).toBe(lastA);
    const allocated = readKeystore(b.dir, (db) => db.prepare("SELECT COUNT(*) FROM keys WHERE origin = 'peer' AND state = 'allocated'").pluck().get());
    expect(allocated).toBe(7);
    const up = JSON.parse((await pairCli(a, ['status', '--json'])).stdout) as { reachable: boolean; lagEntries: number }[];
    expect(up[0]).toMatchObject({ reachable: true, lagEntries: 0 });
    expect((await qkmcmdsOk(['--data-dir', b.dir, 'check'], envB)).stdout).toMatch(/^Keystore OK/);
  });

  it('generation needs both servers: with the peer down it fails cleanly, with a ticket, and a retry succeeds', async () => {
    const generate = (env: Record<string, string> = {}) => runQkmcmds(['--data-dir', a.dir, 'keys', 'generate', '--library', 'LIB3', '--class', 'i500'], { ...a.env, ...env });
    const keysOf = (s: PairServerProcess) => readKeystore(s.dir, (db) => db.prepare("SELECT COUNT(*) FROM keys k JOIN libraries l ON l.id = k.library_id WHERE l.name = 'LIB3'").pluck().get());
    b.qkmd.child.kill('SIGKILL');
    await b.qkmd.exited;
    const failed = await generate({ QKM_PAIR_GENERATION_TIMEOUT_SECONDS: '2' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('qkmcmds: The peer server did not store its copy of the new key set for library LIB3 within 2 s, so the set was taken back and none of its keys will be used; check that the pair link works, then generate again.\n');
    expect(keysOf(a)).toBe(0);
    const tickets = JSON.parse((await runQkmcmds(['--data-dir', a.dir, 'tickets', '--json'], a.env)).stdout) as { condition: string }[];
    expect(tickets.map((t) => t.condition)).toContain('pair-generation-failed:LIB3');

    b = await startPaired(b.dir, envB);
    await waitReplicated(a);
    expect(keysOf(b)).toBe(0); // the set it may have been sent was taken back there too
    const retried = await generate();
    expect(retried.code, retried.stderr).toBe(0);
    expect(keysOf(a)).toBe(64);
    expect(keysOf(b)).toBe(64);
    const open = JSON.parse((await runQkmcmds(['--data-dir', a.dir, 'tickets', '--json'], a.env)).stdout) as { condition: string }[];
    expect(open.map((t) => t.condition)).not.toContain('pair-generation-failed:LIB3');
  });

  it('a server restored from a backup learns from its peer what it handed out since, and never hands it out again', async () => {
    const passphrase = (await import('../helpers/backup-key.js')).TEST_PASSPHRASE;
    const init = qkmcmds(['--data-dir', a.dir, 'backup-key', 'init', '--passphrase'], a.env, `${passphrase}\n`);
    expect(init.code, init.stderr).toBe(0);
    const backups = path.join(root, 'backups-a');
    await qkmcmdsOk(['--data-dir', a.dir, 'backup', '--to', backups], a.env);
    const after = [await writeTape('D00001L8'), await writeTape('D00002L8'), await writeTape('D00003L8')];
    await waitReplicated(a);
    await a.qkmd.stop();

    const files = readdirSync(backups);
    const restored = qkmcmds(['--data-dir', a.dir, 'restore', '--yes', path.join(backups, files.find((f) => f.startsWith('QKMApp'))!), path.join(backups, files.find((f) => f.startsWith('QKMData'))!)], a.env, `${passphrase}\n`);
    expect(restored.code, restored.stderr).toBe(0);
    // No peer answering: one sentence, and the libraries still need a sync.
    const nobody = await runQkmcmds(['--data-dir', a.dir, 'sync', '--from-peer'], { ...a.env, QKM_PAIR_PEER: `127.0.0.1:${await freePort()}` });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/^qkmcmds: No peer answered \(.*\), so nothing changed and the libraries still need a sync; try again when a peer is up, or give each library's last key\.\n$/);
    const status = JSON.parse((await qkmcmdsOk(['--data-dir', a.dir, 'keys', 'status', '--json'], a.env)).stdout) as { library: string; needsSync: boolean }[];
    expect(status.find((l) => l.library === 'LIB1')?.needsSync).toBe(true);
    const synced = await runQkmcmds(['--data-dir', a.dir, 'sync', '--from-peer'], a.env);
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.stdout).toContain(`Synchronised from ${b.serial}: 3 key(s) handed out after the backup are marked used here again`);

    a = await startPaired(a.dir, a.env);
    for (const t of after) {
      const r = await via(a, lib.A!, op.get(t.uid));
      expect(keyMaterialOf(ok(r.batchItems[0])).equals(t.material)).toBe(true);
    }
    const fresh = await writeTape('D00004L8');
    expect(after.map((t) => t.uid)).not.toContain(fresh.uid);
    expect(fresh.uid.slice(-6) > after[2]!.uid.slice(-6)).toBe(true);
    // The peer takes the restored server's next changes as new ones.
    await waitReplicated(a);
    await readsOnB([fresh]);
  });
});
