import { DriverError } from '../errors.js';
import type { BeepDecoding } from './contract.js';
import { patternOf } from './pattern.js';
import { ToneDetector } from './tones.js';
import { openWav } from './wav.js';

/** POST beeps within a minute or two of power-on; ten minutes is room to spare, and bounds the work. */
export const MAX_RECORDING_SECONDS = 600;

export interface RecordingDecoding extends BeepDecoding {
  seconds: number;
  sampleRate: number;
}

/** A WAV recording of the box in, its beep pattern out; read in windows, never whole. */
export async function decodeWav(file: string, opts: { maxSeconds?: number } = {}): Promise<RecordingDecoding> {
  const wav = await openWav(file, { maxSeconds: opts.maxSeconds ?? MAX_RECORDING_SECONDS });
  try {
    const { frames, sampleRate } = wav.format;
    if (frames === 0) throw new DriverError('AUDIO_UNREADABLE', `${file} holds no sound (it is 0 seconds long); record the box from power-on until the beeps stop.`, { file });
    const detector = new ToneDetector(sampleRate);
    for await (const window of wav.windows()) detector.push(window);
    const tones = detector.finish();
    return { ...patternOf(tones), seconds: frames / sampleRate, sampleRate };
  } finally {
    await wav.close();
  }
}
