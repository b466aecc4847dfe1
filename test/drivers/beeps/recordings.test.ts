import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../../drivers/beeps/decode.js';
import { isDriverError } from '../../../drivers/errors.js';
import { conditionFixtures, makeBeepFixtures, noisyFixtures, type BeepFixture } from '../../../harness/beep-fixtures.js';
import { needsTool } from '../../helpers/tools.js';
import { makeTempRoot, removeTempRoot } from '../helpers.js';
import { wavHeader, writeBadRecordings } from './wav-header.js';

const sox = needsTool('sox', 'sox', 'test/drivers/beeps/recordings.test.ts');

describe.skipIf(sox.skip)('POST beep recordings made with sox', () => {
  let dir: string;
  let files: Map<BeepFixture, string>;
  // Every code in white and pink noise and fan hum at 10 dB from 8 kHz (the goal: all right
  // at 10 dB and above; the benchmark counts 20, 5 and 0 dB too), and the other conditions:
  // rates, sample formats, tempos, pitches, clipping, a recording started mid-code.
  const list = [...conditionFixtures(), ...noisyFixtures(10)];

  beforeAll(async () => {
    dir = await makeTempRoot('qkm-beeps-');
    files = await makeBeepFixtures(dir, list);
  }, 120_000);
  afterAll(() => removeTempRoot(dir));

  it.each(list.map((f) => [f.name, f] as const))('%s decodes to its pattern', async (_name, f) => {
    const d = await decodeWav(files.get(f)!);
    expect({ pattern: d.pattern, repeating: d.repeating }).toEqual({ pattern: f.pattern, repeating: f.repeating });
    expect(d.confidence).toBeGreaterThan(0.5);
  });

  it('hears the pitch whatever it is', async () => {
    const high = list.find((f) => f.name === '1-1-3-2400Hz')!;
    const low = list.find((f) => f.name === '1-1-3-650Hz')!;
    expect((await decodeWav(files.get(high)!)).pitchHz).toBe(2_400);
    expect((await decodeWav(files.get(low)!)).pitchHz).toBe(650);
  });

  it('finds no beep in silence or in noise alone', async () => {
    const { execFileSync } = await import('node:child_process');
    const silence = path.join(dir, 'silence.wav');
    const noise = path.join(dir, 'noise.wav');
    execFileSync('sox', ['-n', '-r', '8000', '-b', '16', silence, 'trim', '0', '5']);
    execFileSync('sox', ['-R', '-n', '-r', '8000', '-b', '16', noise, 'synth', '5', 'pinknoise', 'vol', '0.3']);
    for (const f of [silence, noise]) {
      const d = await decodeWav(f);
      expect({ pattern: d.pattern, bursts: d.bursts.length }).toEqual({ pattern: null, bursts: 0 });
    }
  });
});

describe('recordings that are not POST recordings', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempRoot('qkm-beeps-bad-');
  });
  afterAll(() => removeTempRoot(dir));

  const refusal = async (file: string) => {
    try {
      await decodeWav(file);
    } catch (e) {
      if (isDriverError(e)) return { code: e.code, message: e.message };
      throw e;
    }
    throw new Error(`${file} was decoded`);
  };

  it('refuses a 2-hour recording from its header at once, without reading its sound', async () => {
    const r = await refusal((await writeBadRecordings(dir)).twoHours);
    expect(r.code).toBe('AUDIO_TOO_LONG');
    expect(r.message).toMatch(/is 2 h 0 min long/);
  });

  it('refuses what is not a WAV, a compressed WAV, an empty file and a WAV of no sound, each in one sentence', async () => {
    const { notWav, empty, zero } = await writeBadRecordings(dir);
    const alaw = path.join(dir, 'alaw.wav');
    const h = wavHeader(8_000, 100);
    h.writeUInt16LE(6, 20); // WAVE_FORMAT_ALAW
    h.writeUInt16LE(8, 34);
    h.writeUInt32LE(8_000, 28);
    h.writeUInt16LE(1, 32);
    await fs.writeFile(alaw, Buffer.concat([h, Buffer.alloc(100)]));
    const results = await Promise.all([notWav, empty, zero, alaw].map(refusal));
    expect(results.map((r) => r.code)).toEqual(['AUDIO_UNREADABLE', 'AUDIO_UNREADABLE', 'AUDIO_UNREADABLE', 'AUDIO_UNREADABLE']);
    expect(results[0]!.message).toMatch(/no RIFF\/WAVE header/);
    expect(results[1]!.message).toMatch(/it is empty/);
    expect(results[2]!.message).toMatch(/holds no sound \(it is 0 seconds long\)/);
    expect(results[3]!.message).toMatch(/compressed \(format 6\)/);
    for (const r of results) expect(r.message.split(/[.;] [A-Z]/).length).toBe(1);
  });

  it('decodes what a recorder stopped abruptly left (a data size larger than the file)', async () => {
    const file = path.join(dir, 'cut.wav');
    const rate = 8_000;
    const sound = Buffer.alloc(rate * 2 * 2);
    // 0.3 s of 1 kHz at half scale, from 0.5 s.
    for (let i = 0; i < rate * 0.3; i++) sound.writeInt16LE(Math.round(16_000 * Math.sin((2 * Math.PI * 1_000 * i) / rate)), (rate * 0.5 + i) * 2);
    await fs.writeFile(file, Buffer.concat([wavHeader(rate, 0xfffffff0), sound]));
    const d = await decodeWav(file);
    expect(d.pattern).toBe('1');
    expect(d.seconds).toBe(2);
  });
});
