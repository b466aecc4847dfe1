import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusDocument } from '../../src/status/document.js';
import { statusBody } from '../../src/web/status-view.js';
import { statusSchemaProblems } from '../../harness/status-http.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { type PairServerProcess, freePort, pairUp, startPairedIn } from '../helpers/pair.js';
import { runQkmcmds } from '../helpers/qkmd-kmip.js';

/** Two real qkmd processes made a pair: the status document says how the peer stands, and when it is gone. */
let root: string;
let a: PairServerProcess;
let b: PairServerProcess;

async function statusOf(s: PairServerProcess): Promise<StatusDocument> {
  const r = await runQkmcmds(['--data-dir', s.dir, 'status', '--json'], s.env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusDocument;
}

/** The document of `s` once `ok` holds (the peers are asked every 5 s). */
async function statusUntil(s: PairServerProcess, ok: (d: StatusDocument) => boolean, ms = 20_000): Promise<StatusDocument> {
  const until = Date.now() + ms;
  for (;;) {
    const d = await statusOf(s);
    if (ok(d)) return d;
    if (Date.now() > until) throw new Error(`the status never came right: ${JSON.stringify(d.pair)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  root = tempDir('qkm-web-pair-');
  const [pa, pb] = [await freePort(), await freePort()];
  [a, b] = await Promise.all([
    startPairedIn(root, 'a', { role: 'primary', serial: 'QKMWEBA1', port: pa, peer: `127.0.0.1:${pb}` }),
    startPairedIn(root, 'b', { role: 'secondary', serial: 'QKMWEBB1', port: pb, peer: `127.0.0.1:${pa}` }),
  ]);
  await pairUp(a, b);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.qkmd.stop(), b?.qkmd.stop()]);
  if (root) removeDir(root);
});

describe('the status of a server pair', () => {
  it('shows the peer reachable with its lag and version, then not reachable once it is killed', async () => {
    const up = await statusUntil(a, (d) => d.pair.peers[0]?.reachable === true);
    const schemaProblems = statusSchemaProblems();
    expect(schemaProblems(up)).toBeNull();
    expect(up.pair).toMatchObject({ role: 'primary', versionsDiffer: false });
    expect(up.pair.peers).toHaveLength(1);
    const peer = up.pair.peers[0]!;
    expect(peer).toMatchObject({ serial: 'QKMWEBB1', address: `127.0.0.1:${b.address.split(':')[1]}`, role: 'secondary', problem: null });
    expect(peer.version.peer).toBe(peer.version.self);
    expect(peer.lagEntries).toBeGreaterThanOrEqual(0);
    expect(statusBody(up)).toContain('Peer QKMWEBB1 at');
    b.qkmd.child.kill('SIGKILL');
    const down = await statusUntil(a, (d) => d.pair.peers[0]?.reachable === false);
    expect(down.pair.peers[0]).toMatchObject({ serial: 'QKMWEBB1', reachable: false });
    expect(down.pair.peers[0]!.problem).toBeTruthy();
    expect(schemaProblems(down)).toBeNull();
    expect(statusBody(down)).toMatch(/<dt>Reachable<\/dt><dd>NO: /);
  }, 60_000);
});
