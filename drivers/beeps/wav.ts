import { promises as fs } from 'node:fs';
import { DriverError } from '../errors.js';

/**
 * A strict, streaming reader of RIFF/WAVE files: PCM at 8, 16, 24 and 32 bits, IEEE
 * float at 32 and 64, WAVE_FORMAT_EXTENSIBLE wrapping either, any channel count, mixed
 * down to mono. The data is read in windows of a fixed size, so memory does not grow
 * with the file; what is too long to be a POST recording is refused from its header.
 */

export interface WavFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  float: boolean;
  /** Sample frames in the data chunk (as far as the file really holds them). */
  frames: number;
}

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;
/** Sound is read in windows of this many bytes, whatever the file's length. */
const WINDOW_BYTES = 1 << 20;
const MAX_HEADER_SCAN = 1 << 20;

function unreadable(file: string, why: string, cause?: unknown): DriverError {
  return new DriverError('AUDIO_UNREADABLE', `${file} is not a WAV recording qkm can read (${why}); record the box again as a WAV file.`, { file }, cause ? { cause } : undefined);
}

interface Located {
  format: WavFormat;
  dataOffset: number;
}

/** Walks the chunks up to "data"; a chunk list that never reaches it within 1 MiB is refused. */
async function locate(fh: fs.FileHandle, file: string, size: number): Promise<Located> {
  const head = Buffer.alloc(12);
  if ((await fh.read(head, 0, 12, 0)).bytesRead < 12) throw unreadable(file, size === 0 ? 'it is empty' : 'it is too short to have a header');
  if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') throw unreadable(file, 'it has no RIFF/WAVE header');
  let at = 12;
  let format: Omit<WavFormat, 'frames'> | null = null;
  let blockAlign = 0;
  const chunk = Buffer.alloc(8);
  while (at + 8 <= size && at < MAX_HEADER_SCAN) {
    await fh.read(chunk, 0, 8, at);
    const id = chunk.toString('latin1', 0, 4);
    const len = chunk.readUInt32LE(4);
    if (id === 'fmt ') {
      if (len < 16) throw unreadable(file, 'its format chunk is too short');
      const f = Buffer.alloc(Math.min(len, 40));
      await fh.read(f, 0, f.length, at + 8);
      let tag = f.readUInt16LE(0);
      if (tag === EXTENSIBLE) {
        if (f.length < 26) throw unreadable(file, 'its extensible format chunk is too short');
        tag = f.readUInt16LE(24);
      }
      const channels = f.readUInt16LE(2);
      const sampleRate = f.readUInt32LE(4);
      blockAlign = f.readUInt16LE(12);
      const bitsPerSample = f.readUInt16LE(14);
      const float = tag === IEEE_FLOAT;
      if (tag !== PCM && !float) throw unreadable(file, `its samples are compressed (format ${tag}), not PCM`);
      if (float ? bitsPerSample !== 32 && bitsPerSample !== 64 : ![8, 16, 24, 32].includes(bitsPerSample)) {
        throw unreadable(file, `${bitsPerSample}-bit ${float ? 'float' : 'PCM'} samples are not a kind it reads`);
      }
      if (channels < 1 || channels > 16) throw unreadable(file, `it claims ${channels} channels`);
      if (sampleRate < 4_000 || sampleRate > 384_000) throw unreadable(file, `its sample rate ${sampleRate} Hz is outside 4 to 384 kHz`);
      if (blockAlign !== (channels * bitsPerSample) / 8) throw unreadable(file, 'its block size does not match its channels and sample size');
      format = { sampleRate, channels, bitsPerSample, float };
    } else if (id === 'data') {
      if (!format) throw unreadable(file, 'its sound data comes before its format');
      // A recorder stopped abruptly leaves the size unset or too large: the file holds what it holds.
      const bytes = Math.min(len, size - (at + 8));
      return { format: { ...format, frames: Math.floor(bytes / blockAlign) }, dataOffset: at + 8 };
    }
    at += 8 + len + (len & 1);
  }
  throw unreadable(file, format ? 'it has no sound data' : 'it has no format chunk');
}

/**
 * Mixes `frames` frames of `raw` down to mono in `out`, through typed views where the
 * sample size allows (a per-sample Buffer read is several times slower).
 */
function mixDown(f: WavFormat, raw: Buffer, frames: number, out: Float32Array): void {
  const ch = f.channels;
  const n = frames * ch;
  const put = (i: number, sum: number) => {
    const v = sum / ch;
    // A float file may hold NaN or huge values; they must not poison the detector's sums.
    out[i] = v > 1 ? 1 : v < -1 ? -1 : Number.isNaN(v) ? 0 : v;
  };
  const viaView = (view: ArrayLike<number>, scale: number, offset = 0) => {
    for (let i = 0, j = 0; j < n; i++) {
      let sum = 0;
      for (let c = 0; c < ch; c++) sum += view[j++]! - offset;
      put(i, sum / scale);
    }
  };
  const { buffer, byteOffset } = raw;
  if (f.float) viaView(f.bitsPerSample === 32 ? new Float32Array(buffer, byteOffset, n) : new Float64Array(buffer, byteOffset, n), 1);
  else if (f.bitsPerSample === 8) viaView(raw, 128, 128);
  else if (f.bitsPerSample === 16) viaView(new Int16Array(buffer, byteOffset, n), 32_768);
  else if (f.bitsPerSample === 32) viaView(new Int32Array(buffer, byteOffset, n), 2_147_483_648);
  else {
    for (let i = 0, o = 0; i < frames; i++) {
      let sum = 0;
      for (let c = 0; c < ch; c++, o += 3) sum += raw.readIntLE(o, 3);
      put(i, sum / 8_388_608);
    }
  }
}

export interface WavStream {
  format: WavFormat;
  /** The recording, mixed to mono, in windows of at most 1 MiB of the file (one buffer reused: copy what you keep). */
  windows(): AsyncIterable<Float32Array>;
  close(): Promise<void>;
}

export interface OpenWavOptions {
  /** Longer recordings are refused from the header, before any sound is read. */
  maxSeconds: number;
}

export async function openWav(file: string, opts: OpenWavOptions): Promise<WavStream> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    throw new DriverError('FILE_UNREADABLE', `There is no readable file at ${file}; give the path of a WAV recording.`, { file }, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw unreadable(file, 'it is not a regular file');
    const { format, dataOffset } = await locate(fh, file, st.size);
    const seconds = format.frames / format.sampleRate;
    if (seconds > opts.maxSeconds) {
      throw new DriverError('AUDIO_TOO_LONG', `${file} is ${formatDuration(seconds)} long, more than the ${formatDuration(opts.maxSeconds)} qkm decodes; record from power-on until the beeps stop (POST beeps within a minute or two).`, { file, seconds });
    }
    const block = format.channels * (format.bitsPerSample / 8);
    const windowFrames = Math.max(1, Math.floor(WINDOW_BYTES / block));
    return {
      format,
      close: () => fh.close(),
      async *windows() {
        // Its own ArrayBuffer at offset 0, so the typed views over it are aligned.
        const raw = Buffer.from(new ArrayBuffer(windowFrames * block));
        const mono = new Float32Array(windowFrames);
        for (let done = 0; done < format.frames; ) {
          const want = Math.min(windowFrames, format.frames - done);
          const { bytesRead } = await fh.read(raw, 0, want * block, dataOffset + done * block);
          const got = Math.floor(bytesRead / block);
          if (got === 0) return;
          mixDown(format, raw, got, mono);
          done += got;
          yield got === windowFrames ? mono : mono.subarray(0, got);
        }
      },
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
