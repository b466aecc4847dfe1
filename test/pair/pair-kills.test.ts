import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedLibrary } from '../../src/library/library.js';
import { verifyTapes } from '../../src/library/workload.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { waitReplicated } from '../helpers/pair.js';
import { type ServerPair, expectCopiesAgree, kill, libraryConfig, openLibrary, restart, startServerPair } from '../helpers/pair-library.js';

/**
 * SIGKILL of either server of a pair at random points of replication, while a library
 * writes tapes through the pair without pause: whatever moment a kill picks (a push on
 * the wire, an apply half done, an acknowledgement not yet recorded), once both run again
 * each holds exactly the other's keys and allocations, has applied the other's whole
 * journal once, and every tape reads back with its own key. npm test makes
 * QKM_PAIR_SERVER_KILLS kills (3); `npm run stress` 200.
 */
const KILLS = Number(process.env.QKM_PAIR_SERVER_KILLS ?? 3);

let root: string;
let pair: ServerPair;
let lib: SimulatedLibrary | undefined;

beforeAll(async () => {
  root = tempDir('qkm-pair-kills-');
  // Sets big enough for the whole run (no generation while killing); a long run's set takes
  // seconds to seal and copy on a busy machine, so the generation may wait as long as the library does.
  pair = await startServerPair(root, { keys: 2000 + KILLS * 200, serials: ['QKMKILLA1', 'QKMKILLB1'], env: { QKM_PAIR_GENERATION_TIMEOUT_SECONDS: '35' } });
}, 120_000);

afterAll(async () => {
  lib?.close();
  await Promise.all([pair?.a.qkmd.stop(), pair?.b.qkmd.stop()]);
  removeDir(root);
});

describe('the pair under SIGKILL', () => {
  it(`either server killed at random points of replication, ${KILLS} times: nothing lost, nothing applied twice`, async () => {
    lib = await openLibrary(await libraryConfig(root, { library: 'LIBK', bundleFrom: pair.a, pair, drives: 2 }));
    expect((await lib.enableEncryption('P1')).every((o) => o.ok)).toBe(true);

    let writing = true;
    const failures: string[] = [];
    let written = 0;
    const writer = async (drive: string) => {
      while (writing) {
        const barcode = `K${String(written++).padStart(6, '0')}L8`;
        try {
          await lib!.writeTape(drive, barcode);
        } catch (e) {
          failures.push(`${barcode}: ${(e as Error).message}`);
        }
      }
    };
    const writers = [writer('D1'), writer('D2')];

    for (let i = 0; i < KILLS; i++) {
      const victim = Math.random() < 0.5 ? 'a' : 'b';
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 400));
      await kill(pair[victim]);
      // The other server keeps the library writing while this one starts again.
      pair[victim] = await restart(pair[victim]);
    }
    writing = false;
    await Promise.all(writers);

    expect(failures).toEqual([]);
    await Promise.all([waitReplicated(pair.a, 60_000), waitReplicated(pair.b, 60_000)]);
    expectCopiesAgree(pair);
    const tapes = lib.state.tapes();
    expect(new Set(tapes.map((t) => t.keyName)).size).toBe(tapes.length);
    const v = await verifyTapes(lib);
    expect(v.failures).toEqual([]);
    expect(v.read).toBe(tapes.length);
  }, 120_000 + KILLS * 10_000);
});
