/**
 * POST beep decoding, measured on recordings made with sox (scripts/beep-fixture.sh):
 *   - speed: a ~10 s recording at 8 kHz mono, 44.1 kHz stereo and 48 kHz float, decoded
 *     (target: at least 100x real time, 10 s in at most 100 ms), against reading and
 *     mixing down the same file without decoding, in the same run;
 *   - accuracy: the share of recordings decoded right per SNR (every code of the fixture
 *     list in white noise, pink noise and fan hum, from 8 kHz, fresh noise each round;
 *     goal: all at 10 dB and above), and over the other conditions.
 *
 *   npx tsc -p . && node dist/bench/beeps.js        (BENCH_BEEPS_ROUNDS=5 for more noise draws)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeWav } from '../drivers/beeps/decode.js';
import { openWav } from '../drivers/beeps/wav.js';
import { conditionFixtures, makeBeepFixture, makeBeepFixtures, noisyFixtures, type BeepFixture } from '../harness/beep-fixtures.js';
import { median, report } from './report.js';

const ROUNDS = Number(process.env.BENCH_BEEPS_ROUNDS ?? 2);
const RUNS = 9;

async function readOnly(file: string): Promise<number> {
  const wav = await openWav(file, { maxSeconds: 600 });
  let sum = 0;
  try {
    for await (const w of wav.windows()) for (let i = 0; i < w.length; i++) sum += w[i]!;
  } finally {
    await wav.close();
  }
  return sum;
}

/** Median wall and CPU milliseconds of `fn` (CPU too: on a shared machine, waiting for a core is not decoding). */
async function timed(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  await fn(); // the first run compiles
  for (let i = 0; i < RUNS; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    wall.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

async function speed(dir: string): Promise<void> {
  // 1-1-3 three times with pauses, with noise: about 10 s.
  const base = { beeps: 's-s-sss', pattern: '1-1-3', repeating: true } as const;
  const files: [string, BeepFixture][] = [
    ['8 kHz mono 16-bit', { ...base, name: 'speed-8k', options: { repeat: 3, lead: 1_350, noise: 'pink', snr: 10 } }],
    ['44.1 kHz stereo 16-bit', { ...base, name: 'speed-44k', options: { repeat: 3, lead: 1_350, noise: 'pink', snr: 10, rate: 44_100, channels: 2 } }],
    ['48 kHz mono float', { ...base, name: 'speed-48k', options: { repeat: 3, lead: 1_350, noise: 'pink', snr: 10, rate: 48_000, float: 1 } }],
  ];
  for (const [label, f] of files) {
    const file = await makeBeepFixture(dir, f);
    const seconds = (await decodeWav(file)).seconds;
    const decode = await timed(() => decodeWav(file));
    const read = await timed(() => readOnly(file));
    for (const k of ['wall', 'cpu'] as const) {
      report(`decode ${label}, ${k} per 10 s of sound`, (decode[k] * 10) / seconds, 'ms', { name: 'read+mixdown only', value: (read[k] * 10) / seconds }, '<= 100 ms');
    }
    report(`decode ${label}, times real time (wall)`, (seconds * 1000) / decode.wall, 'x', { name: 'read+mixdown only', value: (seconds * 1000) / read.wall }, '>= 100x');
  }
}

async function accuracy(dir: string): Promise<void> {
  const groups: [string, BeepFixture[]][] = [
    ...[20, 10, 5, 0].map((snr) => [`${snr} dB SNR (white, pink, hum; 8 kHz)`, noisyFixtures(snr)] as [string, BeepFixture[]]),
    ['other conditions (rates, formats, tempos, pitch, clipped, mid-code)', conditionFixtures()],
  ];
  for (const [label, list] of groups) {
    let right = 0;
    let total = 0;
    const wrong: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const fresh = list.map((f) => ({ ...f, name: `${f.name}-r${round}`, options: { ...f.options, seed: 'random' } }));
      for (const [f, file] of await makeBeepFixtures(dir, fresh)) {
        const d = await decodeWav(file);
        total++;
        if (d.pattern === f.pattern && d.repeating === f.repeating) right++;
        else wrong.push(`${f.name} -> ${d.pattern ?? 'no beep'}${d.repeating ? ' (repeating)' : ''}`);
      }
    }
    if (total > 0) console.log(`accuracy ${label.padEnd(66)} ${right}/${total} = ${((100 * right) / total).toFixed(0)} %`);
    for (const w of wrong.slice(0, 6)) console.log(`    wrong: ${w}`);
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-beeps-'));
try {
  await speed(dir);
  await accuracy(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
