/**
 * The POST beep recordings tests and the benchmark decode: each made by
 * scripts/beep-fixture.sh (sox) into a folder of the caller's, with the pattern it must
 * decode to. Shared here so the test's list and the benchmark's stay one list.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../src/config/config.js';

const run = promisify(execFile);
export const BEEP_FIXTURE_SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'beep-fixture.sh');

export type BeepNoise = 'white' | 'pink' | 'hum';

export interface BeepFixture {
  name: string;
  /** The script's spelling: s short, l long, c continuous, - a pause between groups. */
  beeps: string;
  /** The script's key=value options. */
  options: Record<string, string | number>;
  /** What the decoder must say. */
  pattern: string;
  repeating: boolean;
  noise?: BeepNoise;
  snr?: number;
}

/** Codes of every shape: single, groups, long and short, continuous, a code that repeats. */
export const BEEP_CODES: readonly { beeps: string; pattern: string; repeat?: number }[] = [
  { beeps: 's', pattern: '1' },
  { beeps: 's-s-sss', pattern: '1-1-3' },
  { beeps: 'lss', pattern: '1 long 2 short' },
  { beeps: 'ss-sss-s', pattern: '2-3-1' },
  { beeps: 'c', pattern: 'continuous' },
  { beeps: 'sss', pattern: '3', repeat: 3 },
];

function fixture(name: string, code: { beeps: string; pattern: string; repeat?: number }, options: Record<string, string | number> = {}, extra: Partial<BeepFixture> = {}): BeepFixture {
  const opts = code.repeat ? { repeat: code.repeat, ...options } : options;
  return { name, beeps: code.beeps, options: opts, pattern: code.pattern, repeating: (Number(opts.repeat ?? 1)) > 1, ...extra };
}

const code = (pattern: string) => BEEP_CODES.find((c) => c.pattern === pattern)!;

/** Every code in every noise at one SNR, from 8 kHz: the accuracy the benchmark reports per SNR. */
export function noisyFixtures(snr: number, noises: readonly BeepNoise[] = ['white', 'pink', 'hum']): BeepFixture[] {
  return noises.flatMap((noise) =>
    BEEP_CODES.map((c) => fixture(`${c.pattern.replace(/ /g, '_')}-${noise}-${snr}dB`, c, { noise, snr }, { noise, snr })));
}

/** Rates, sample formats, tempos, pitches, clipping and a recording started mid-code. */
export function conditionFixtures(): BeepFixture[] {
  const f = code('1-1-3');
  const ls = code('1 long 2 short');
  const rep: { beeps: string; pattern: string; repeat: number } = { beeps: 's-s-sss', pattern: '1-1-3', repeat: 3 };
  return [
    ...BEEP_CODES.map((c) => fixture(`${c.pattern.replace(/ /g, '_')}-clean`, c)),
    ...[16_000, 44_100, 48_000].map((rate) => fixture(`1-1-3-${rate}Hz`, f, { rate, noise: 'white', snr: 20 })),
    fixture('1-1-3-8bit', f, { bits: 8 }),
    fixture('1-1-3-24bit-stereo', f, { bits: 24, channels: 2, rate: 44_100 }),
    fixture('1-1-3-32bit', f, { bits: 32, rate: 16_000 }),
    fixture('1-1-3-float', f, { float: 1, rate: 48_000, noise: 'pink', snr: 20 }),
    fixture('1-1-3-slow', f, { tempo: 'slow', noise: 'white', snr: 10 }),
    fixture('1-1-3-fast', f, { tempo: 'fast', noise: 'white', snr: 10 }),
    fixture('1_long_2_short-slow', ls, { tempo: 'slow' }),
    fixture('1_long_2_short-fast', ls, { tempo: 'fast', noise: 'pink', snr: 10 }),
    fixture('1-1-3-650Hz', f, { pitch: 650, noise: 'hum', snr: 10 }),
    fixture('1-1-3-2400Hz', f, { pitch: 2_400, noise: 'white', snr: 10 }),
    fixture('1_long_2_short-clipped', ls, { clip: 1, noise: 'pink', snr: 10 }),
    fixture('1-1-3-repeating', rep, { noise: 'hum', snr: 10 }),
    fixture('1-1-3-mid-code', rep, { start: 1.0, noise: 'white', snr: 10 }),
  ];
}

/** Writes the fixture's WAV into `dir` and returns its path. */
export async function makeBeepFixture(dir: string, f: BeepFixture): Promise<string> {
  const file = path.join(dir, `${f.name}.wav`);
  await run(BEEP_FIXTURE_SCRIPT, [file, f.beeps, ...Object.entries(f.options).map(([k, v]) => `${k}=${v}`)]);
  return file;
}

/** Makes many fixtures, two sox pipelines at a time (the machine has two cores). */
export async function makeBeepFixtures(dir: string, list: readonly BeepFixture[]): Promise<Map<BeepFixture, string>> {
  const out = new Map<BeepFixture, string>();
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const f = list[next++]!;
      out.set(f, await makeBeepFixture(dir, f));
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}
