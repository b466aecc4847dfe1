import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBeepFixture } from '../../harness/beep-fixtures.js';
import { qkmcmds } from '../helpers/cli.js';
import { needsTool } from '../helpers/tools.js';
import { writeBadRecordings } from '../drivers/beeps/wav-header.js';

const sox = needsTool('sox', 'sox', 'test/cli/beeps.test.ts');

/** One sentence on stderr, prefixed with the program's name, nothing on stdout, exit status 1. */
function expectOneSentence(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^qkmcmds: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/ at .*\.js|Error:/);
}

describe('qkmcmds beeps decode', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qkm-beeps-cli-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it.skipIf(sox.skip)('prints the pattern, the confidence, what it means and what to do; --json the same for scripts', async () => {
    const cmos = await makeBeepFixture(dir, { name: 'cmos', beeps: 's-s-sss', options: { noise: 'pink', snr: 10, rate: 44_100, channels: 2 }, pattern: '1-1-3', repeating: false });
    const r = qkmcmds(['beeps', 'decode', cmos]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Pattern: +1-1-3$/m);
    expect(r.stdout).toMatch(/^Confidence: +(0\.[5-9]\d|1\.00) \(a 1000 Hz tone\)$/m);
    expect(r.stdout).toMatch(/^Verdict: +POST found a problem\.$/m);
    expect(r.stdout).toMatch(/^Meaning: +The CMOS memory could not be written and read back\.$/m);
    expect(r.stdout).toMatch(/^What to do: .*Quantum Service & Support/m);

    const j = qkmcmds(['beeps', 'decode', cmos, '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ pattern: '1-1-3', repeating: false, verdict: 'problem', listed: true, pitchHz: 1000, sampleRate: 44_100 });

    const pass = await makeBeepFixture(dir, { name: 'pass', beeps: 's', options: { noise: 'hum', snr: 10 }, pattern: '1', repeating: false });
    const p = qkmcmds(['beeps', 'decode', pass]);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/^Verdict: +POST passed\.$/m);
  });

  it('a file that is no POST recording is one sentence and exit status 1, whatever is wrong with it', async () => {
    const { notWav, empty, zero, silence, twoHours } = await writeBadRecordings(dir);

    expectOneSentence(qkmcmds(['beeps', 'decode', notWav]), /notes\.wav is not a WAV recording qkm can read \(it has no RIFF\/WAVE header\)/);
    expectOneSentence(qkmcmds(['beeps', 'decode', empty]), /empty\.wav is not a WAV recording qkm can read \(it is empty\)/);
    expectOneSentence(qkmcmds(['beeps', 'decode', zero]), /zero\.wav holds no sound/);
    expectOneSentence(qkmcmds(['beeps', 'decode', silence]), /^qkmcmds: No beep found in .*silence\.wav \(5 s\); record again/);
    expectOneSentence(qkmcmds(['beeps', 'decode', twoHours]), /two-hours\.wav is 2 h 0 min long, more than the 10 min qkm decodes/);
    expectOneSentence(qkmcmds(['beeps', 'decode', path.join(dir, 'missing.wav')]), /There is no readable file at .*missing\.wav/);
    expectOneSentence(qkmcmds(['beeps', 'decode', silence, '--codes', 'x3999']), /no beep code table for the model "x3999"; the models are ibm-system-x/);
  });
});
