import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BeepEdge } from '../../../drivers/beeps/contract.js';
import { decodeEdges } from '../../../drivers/beeps/edges.js';
import { loadBeepTable, meaningOf } from '../../../drivers/beeps/table.js';
import { isDriverError } from '../../../drivers/errors.js';
import { BEEP_CODES_DIR, beepTable } from '../../../src/hardware/beep-codes.js';
import { makeTempRoot, removeTempRoot } from '../helpers.js';

/**
 * Edges of a beep code at a tempo: `spell` as the fixture script spells it (s short, l
 * long, - a pause between groups), repeated `times` with a long pause, jittered by up to
 * `jitterMs` as a board's timer would.
 */
function edges(spell: string, o: { times?: number; short?: number; long?: number; within?: number; group?: number; repeat?: number; jitterMs?: number; from?: number } = {}): BeepEdge[] {
  const { short = 150, long = 700, within = 150, group = 600, repeat = 2_000, jitterMs = 0 } = o;
  let seed = 7;
  const jitter = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return Math.round(((seed / 2_147_483_648) * 2 - 1) * jitterMs);
  };
  const out: BeepEdge[] = [];
  let t = 1_000;
  for (let k = 0; k < (o.times ?? 1); k++) {
    if (k > 0) t += repeat;
    let prev = '';
    for (const ch of spell) {
      if (ch === '-') t += group;
      else {
        if (prev && prev !== '-') t += within;
        out.push({ atMs: t + jitter(), on: true });
        t += ch === 'l' ? long : short;
        out.push({ atMs: t + jitter(), on: false });
      }
      prev = ch;
    }
  }
  return out.filter((e) => e.atMs >= (o.from ?? 0));
}

const decoded = (e: BeepEdge[]) => {
  const d = decodeEdges(e);
  return { pattern: d.pattern, repeating: d.repeating };
};

describe('decodeEdges: the serial board\'s speaker edges', () => {
  it.each([
    ['s', '1'],
    ['ss', '2'],
    ['s-s-sss', '1-1-3'],
    ['ss-sss-s', '2-3-1'],
    ['s-ss-ssss', '1-2-4'],
    ['ss-ss-ss', '2-2-2'],
    ['lss', '1 long 2 short'],
    ['ls', '1 long 1 short'],
    ['ssssssssssssss', 'repeating short'],
  ])('%s is %s, at any tempo and with a jittery timer', (spell, pattern) => {
    for (const tempo of [{}, { short: 300, long: 1_200, within: 400, group: 1_200 }, { short: 70, long: 400, within: 70, group: 300 }]) {
      expect(decoded(edges(spell, { ...tempo, jitterMs: 8 }))).toEqual({ pattern, repeating: false });
    }
  });

  it('a tone of seconds is continuous, even when no off edge came yet', () => {
    expect(decoded([{ atMs: 0, on: true }, { atMs: 4_000, on: false }]).pattern).toBe('continuous');
    expect(decodeEdges([{ atMs: 0, on: true }], { endMs: 5_000 }).pattern).toBe('continuous');
  });

  it('a code heard again and again is that code, repeating, even when the first is cut off', () => {
    expect(decodeEdges(edges('s-s-sss', { times: 3 }))).toMatchObject({ pattern: '1-1-3', repeating: true, repetitions: 3, confidence: 1 });
    // Listening started during the first code's second group: "1-3", then two whole codes.
    expect(decoded(edges('s-s-sss', { times: 3, from: 1_800 }))).toEqual({ pattern: '1-1-3', repeating: true });
    expect(decoded(edges('sss', { times: 4 }))).toEqual({ pattern: '3', repeating: true });
    // Single beeps seconds apart, with nothing else to compare the pause with, are counted.
    expect(decoded(edges('s', { times: 2 }))).toEqual({ pattern: '2', repeating: false });
  });

  it('repeated, unsorted edges and glitches change nothing; none at all is no beep', () => {
    const e = edges('s-s-sss');
    const messy = [...e, ...e.slice(2, 6), { atMs: 1_620, on: true }, { atMs: 1_625, on: false }].reverse();
    expect(decodeEdges(messy)).toMatchObject({ pattern: '1-1-3', repeating: false, pitchHz: null });
    expect(decodeEdges([])).toMatchObject({ pattern: null, bursts: [], confidence: 0 });
    expect(decodeEdges([{ atMs: 5, on: false }])).toMatchObject({ pattern: null });
  });

  it('confidence falls when the rhythm is irregular', () => {
    const steady = decodeEdges(edges('s-s-sss'));
    const ragged = decodeEdges(edges('s-s-sss', { jitterMs: 40 }));
    expect(steady.confidence).toBe(1);
    expect(ragged.confidence).toBeLessThan(steady.confidence);
  });
});

describe('the beep code table', () => {
  const table = beepTable();

  it('is the manual\'s rule: one beep passes, the maker\'s codes say what failed, anything else is a problem', () => {
    expect(meaningOf(table, decodeEdges(edges('s')))).toMatchObject({ verdict: 'passed', listed: true });
    expect(meaningOf(table, decodeEdges(edges('s-s-sss')))).toMatchObject({ verdict: 'problem', listed: true, meaning: expect.stringMatching(/CMOS/) });
    expect(meaningOf(table, decodeEdges(edges('lss')))).toMatchObject({ verdict: 'problem', listed: true, meaning: expect.stringMatching(/video/) });
    expect(meaningOf(table, decodeEdges(edges('sss-sss-sss')))).toMatchObject({ verdict: 'problem', listed: false, meaning: table.otherwise.meaning });
    // The pass pattern heard again after a long pause is "more than one beep".
    expect(meaningOf(table, { ...decodeEdges(edges('s')), repeating: true, repetitions: 2 })).toMatchObject({ verdict: 'problem', listed: false });
    expect(meaningOf(table, decodeEdges([]))).toMatchObject({ verdict: 'no-beep' });
  });

  it('notes its source, and every pattern in it is one the decoder can print', async () => {
    const text = await fs.readFile(path.join(BEEP_CODES_DIR, 'ibm-system-x.toml'), 'utf8');
    expect(text).toMatch(/Sources/);
    expect(text).toMatch(/User's Guide/);
    for (const p of table.codes.keys()) expect(p).toMatch(/^(\d+(-\d+)*|(\d+ (long|short) ?)+|continuous|repeating short)$/);
  });

  it('refuses a broken table or an unknown model in one sentence', async () => {
    const dir = await makeTempRoot('qkm-beep-table-');
    try {
      const file = path.join(dir, 'other.toml');
      await fs.writeFile(file, 'model = "X"\n[passed]\npattern = "1"\nmeaning = "ok"\naction = "none"\n[otherwise]\nmeaning = "bad"\naction = "call"\n[[code]]\npattern = "1-1-3"\nmeaning = "a"\naction = "b"\n[[code]]\npattern = "1-1-3"\nmeaning = "c"\naction = "d"\n');
      expect(() => loadBeepTable(file)).toThrow(/listed twice/);
      await fs.writeFile(file, 'model = "X"\n[passed\n');
      try {
        loadBeepTable(file);
        expect.unreachable();
      } catch (e) {
        expect(isDriverError(e, 'CONFIG_INVALID')).toBe(true);
      }
      expect(() => beepTable('no-such-model')).toThrow(/the models are ibm-system-x/);
    } finally {
      await removeTempRoot(dir);
    }
  });
});
