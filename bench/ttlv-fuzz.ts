/**
 * Fuzzes the TTLV decoder: random bytes and mutations of real PyKMIP messages.
 * The only acceptable outcomes are a decoded item or a TtlvError; anything else
 * (TypeError, RangeError, a hang) is a bug in the codec.
 *
 *   npx tsc -p . && node dist/bench/ttlv-fuzz.js [count]
 *
 * The seeds are the project's PyKMIP captures (test/fixtures/pykmip/wire).
 * Prints cases, throughput and the ratio to a baseline loop (copying each case)
 * measured in the same run; exits 1 if anything but TtlvError was thrown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TtlvError, decodeTtlv } from '../src/kmip/ttlv/index.js';
import { PYKMIP_WIRE_DIR } from './pykmip-fixtures.js';

/** Small, fast, seedable PRNG (mulberry32): reruns see the same cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Lengths that sit on the edges the decoder checks.
const INTERESTING_LENGTHS = [0, 1, 3, 4, 7, 8, 9, 15, 16, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff];
const INTERESTING_BYTES = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x42, 0x7f, 0x80, 0xc3, 0xed, 0xff];

/** One fuzz case: mostly seed mutations, some pure noise. */
export function makeCase(seeds: readonly Uint8Array[], rand: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (n: number) => Math.floor(rand() * n);
  const roll = rand();

  if (roll < 0.1 || seeds.length === 0) {
    const noise = new Uint8Array(int(96));
    for (let i = 0; i < noise.length; i++) noise[i] = int(256);
    // Half the time give the noise a plausible structure header so it gets past the first check.
    if (noise.length >= 8 && rand() < 0.5) {
      noise.set([0x42, 0x00, 0x78, 0x01]);
      new DataView(noise.buffer).setUint32(4, noise.length - 8);
    }
    return noise;
  }

  const out = Uint8Array.from(pick(seeds));
  const view = new DataView(out.buffer);
  const mutations = 1 + int(3);
  for (let m = 0; m < mutations && out.length > 0; m++) {
    const kind = rand();
    // Item headers start on 8-byte boundaries, so aim there to reach deep code paths.
    const header = int(out.length >>> 3) << 3;
    if (kind < 0.25 && header + 8 <= out.length) {
      view.setUint32(header + 4, rand() < 0.6 ? pick(INTERESTING_LENGTHS) : view.getUint32(header + 4) + int(17) - 8);
    } else if (kind < 0.4 && header + 4 <= out.length) {
      out[header + 3] = rand() < 0.7 ? 1 + int(11) : pick(INTERESTING_BYTES);
    } else if (kind < 0.6) {
      out[int(out.length)]! ^= 1 << int(8);
    } else if (kind < 0.75) {
      out[int(out.length)] = pick(INTERESTING_BYTES);
    } else if (kind < 0.88) {
      return out.subarray(0, int(out.length));
    } else {
      const other = pick(seeds);
      const from = int(other.length);
      const spliced = new Uint8Array(header + (other.length - from));
      spliced.set(out.subarray(0, header));
      spliced.set(other.subarray(from), header);
      return spliced;
    }
  }
  return out;
}

export function loadSeeds(dir: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) => new Uint8Array(Buffer.from(readFileSync(path.join(dir, f), 'utf8').replace(/\s/g, ''), 'hex')));
}

function main(): void {
  const count = Number(process.argv[2] ?? 1_000_000);
  if (!Number.isSafeInteger(count) || count <= 0) {
    console.error(`usage: node dist/bench/ttlv-fuzz.js [count]  (count must be a positive integer, got ${process.argv[2]})`);
    process.exit(2);
  }
  const seeds = loadSeeds(PYKMIP_WIRE_DIR);
  const rand = prng(0x7e11c0de);
  const outcomes = new Map<string, number>();
  const unexpected: { error: unknown; input: string }[] = [];
  let decodeNs = 0n;
  let baselineNs = 0n;
  let bytes = 0;
  let sink = 0;

  const BATCH = 10_000;
  for (let done = 0; done < count; ) {
    const batch: Uint8Array[] = [];
    for (let i = 0; i < BATCH && done + i < count; i++) batch.push(makeCase(seeds, rand));
    for (const c of batch) bytes += c.length;

    // Baseline: the cheapest thing a decoder must at least do, touch every byte once.
    let t = process.hrtime.bigint();
    for (const c of batch) sink += c.slice().length;
    baselineNs += process.hrtime.bigint() - t;

    t = process.hrtime.bigint();
    for (const c of batch) {
      let outcome = 'decoded';
      try {
        decodeTtlv(c);
      } catch (e) {
        if (e instanceof TtlvError) outcome = e.code;
        else {
          outcome = 'UNEXPECTED';
          if (unexpected.length < 5) unexpected.push({ error: e, input: Buffer.from(c).toString('hex') });
        }
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    decodeNs += process.hrtime.bigint() - t;
    done += batch.length;
  }

  const secs = Number(decodeNs) / 1e9;
  console.log(`ttlv-fuzz: ${count} cases from ${seeds.length} PyKMIP captures, ${(bytes / 1e6).toFixed(1)} MB`);
  console.log(`  decode:   ${secs.toFixed(2)} s, ${Math.round(count / secs)} cases/s, ${(bytes / 1e6 / secs).toFixed(1)} MB/s`);
  console.log(`  baseline: ${(Number(baselineNs) / 1e9).toFixed(3)} s (copy each case)`);
  console.log(`  ratio decode/baseline: ${(Number(decodeNs) / Number(baselineNs)).toFixed(1)}x`);
  for (const [outcome, n] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${outcome.padEnd(22)} ${n}`);
  if (sink < 0) console.log(sink); // keeps the baseline loop from being optimised away
  if (unexpected.length > 0) {
    for (const u of unexpected) console.error('UNEXPECTED', u.error, '\n  input:', u.input);
    console.error(`FAIL: ${outcomes.get('UNEXPECTED')} cases threw something other than TtlvError`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
