import { describe, expect, it } from 'vitest';
import { makeCase, prng } from '../../bench/ttlv-fuzz.js';
import { TtlvError, decodeTtlv, encodeTtlv, type TtlvItem } from '../../src/kmip/ttlv/index.js';
import { loadWireVectors } from './ttlv-golden-vectors.js';

const CASES = 20_000;

describe('TTLV decoder under fuzzing', () => {
  it(`only ever throws TtlvError across ${CASES} random and mutated messages`, () => {
    const seeds = loadWireVectors().map((v) => v.bytes);
    const rand = prng(20240601);
    const codes = new Map<string, number>();
    let decoded = 0;
    for (let i = 0; i < CASES; i++) {
      const input = makeCase(seeds, rand);
      let item: TtlvItem;
      try {
        item = decodeTtlv(input);
      } catch (e) {
        if (!(e instanceof TtlvError)) {
          throw new Error(`case ${i} threw ${String(e)} for input ${Buffer.from(input).toString('hex')}`);
        }
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        continue;
      }
      decoded++;
      // Whatever decodes must encode again and decode to the same tree.
      expect(decodeTtlv(encodeTtlv(item))).toEqual(item);
    }
    // The mutations must actually reach the interesting checks, not just fail the first one.
    for (const code of ['TTLV_TRUNCATED', 'TTLV_LENGTH_OVERRUN', 'TTLV_BAD_LENGTH', 'TTLV_BAD_PADDING', 'TTLV_UNKNOWN_TYPE', 'TTLV_TOO_LARGE']) {
      expect(codes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
