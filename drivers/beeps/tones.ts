import type { Burst } from './contract.js';

/**
 * Finds tone bursts in sound, whatever their pitch, under noise and fan hum. The sound
 * is brought down to about 8 kHz (phone quality is all a beep needs), cut into 20 ms
 * frames every 10 ms, and each frame's energy measured with Goertzel filters every 50 Hz
 * from 500 Hz to 3.6 kHz (above the hum of fans and mains). A beep is the one filter
 * that stands far above the frame's median filter: the median follows the noise floor
 * wherever it goes, so no fixed level is assumed.
 */

const TARGET_RATE = 8_000;
const FRAME_MS = 20;
const HOP_MS = 10;
const LOW_HZ = 500;
const HIGH_HZ = 3_600;
const STEP_HZ = 50;
/** A beep's filter must stand this far (power ratio, ~9 dB) above the frame's median to start a burst... */
const ON_RATIO = 8;
/** ...and stays on while above this (~6 dB), so a noisy beep is not cut in two. */
const OFF_RATIO = 4;
/** A burst's median prominence (power ratio, 14 dB) for it to be a beep rather than noise. */
const BEEP_PROMINENCE = 25;
/** Quieter than about -60 dBFS is silence, however far above a digital zero floor it stands. */
const MIN_POWER = 1e-6;
/** Bursts and gaps shorter than this many frames are noise in the detection, not rhythm. */
const MIN_RUN = 3;
/** A beep is at least this many frames (40 ms); noise lifts a frame or three now and then. */
const MIN_BEEP = 4;
const CHUNK_FRAMES = 1_024;

/** A 2nd-order Butterworth low-pass (RBJ's biquad): b0, b1, b2 (= b0), a1, a2 over a0. */
function lowPass(cutoff: number, rate: number): Float64Array {
  const w = (2 * Math.PI * cutoff) / rate;
  const alpha = Math.sin(w) / Math.SQRT2;
  const a0 = 1 + alpha;
  const b0 = (1 - Math.cos(w)) / 2 / a0;
  return Float64Array.of(b0, 2 * b0, (-2 * Math.cos(w)) / a0, (1 - alpha) / a0);
}

/** The q-quantile of some values (0 for none). */
function quantile(v: Float64Array, q: number): number {
  return v.slice().sort()[Math.floor(v.length * q)] ?? 0;
}

export interface ToneResult {
  bursts: Burst[];
  pitchHz: number | null;
  /** 0 to 1: how far the beep stood above the noise (median over its frames). */
  clarity: number;
}

export class ToneDetector {
  private readonly decimate: number;
  private readonly rate: number;
  /** The anti-alias filter, run twice (4th order), or null when no decimation is needed. */
  private readonly filter: Float64Array | null;
  /** Both stages' x1, x2, y1, y2, kept across windows. */
  private readonly state = new Float64Array(8);
  private readonly frameLen: number;
  private readonly hop: number;
  private readonly window: Float64Array;
  private readonly coeff: Float64Array;
  private readonly freqs: number[];
  private readonly scale: number;
  private readonly pending: Float64Array;
  private readonly windowed: Float64Array;
  private count = 0;
  private skip = 0;
  private readonly chunks: Float32Array[] = [];
  private frames = 0;

  constructor(sampleRate: number) {
    this.decimate = Math.max(1, Math.floor(sampleRate / TARGET_RATE));
    this.rate = sampleRate / this.decimate;
    this.filter = this.decimate > 1 ? lowPass(0.45 * this.rate, sampleRate) : null;
    this.frameLen = Math.round((this.rate * FRAME_MS) / 1000);
    this.hop = Math.round((this.rate * HOP_MS) / 1000);
    this.window = Float64Array.from({ length: this.frameLen }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (this.frameLen - 1)));
    const top = Math.min(HIGH_HZ, 0.45 * this.rate);
    this.freqs = [];
    for (let f = LOW_HZ; f <= top; f += STEP_HZ) this.freqs.push(f);
    this.coeff = Float64Array.from(this.freqs, (f) => 2 * Math.cos((2 * Math.PI * f) / this.rate));
    // A sine of amplitude A through the Hann window reads A·N/4, so power/scale is A².
    this.scale = (this.frameLen / 4) ** 2;
    this.pending = new Float64Array(this.frameLen);
    this.windowed = new Float64Array(this.frameLen);
  }

  /** The frame hop in milliseconds (the resolution of burst timings). */
  get hopMs(): number {
    return (this.hop * 1000) / this.rate;
  }

  push(samples: Float32Array): void {
    const f = this.filter;
    if (!f) {
      for (let i = 0; i < samples.length; i++) this.take(samples[i]!);
      return;
    }
    // Inlined with the state in locals: this loop sees every input sample (48,000 a second).
    const b0 = f[0]!;
    const b1 = f[1]!;
    const a1 = f[2]!;
    const a2 = f[3]!;
    const st = this.state;
    let [x1, x2, y1, y2, u1, u2, v1, v2] = st as unknown as number[];
    let skip = this.skip;
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i]!;
      const y = b0 * (x + x2!) + b1 * x1! - a1 * y1! - a2 * y2!;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      const v = b0 * (y + u2!) + b1 * u1! - a1 * v1! - a2 * v2!;
      u2 = u1;
      u1 = y;
      v2 = v1;
      v1 = v;
      if (skip-- > 0) continue;
      skip = this.decimate - 1;
      this.take(v);
    }
    st.set([x1!, x2!, y1!, y2!, u1!, u2!, v1!, v2!]);
    this.skip = skip;
  }

  private take(x: number): void {
    this.pending[this.count++] = x;
    if (this.count === this.frameLen) {
      this.measure();
      this.pending.copyWithin(0, this.hop);
      this.count -= this.hop;
    }
  }

  private measure(): void {
    const n = this.freqs.length;
    const at = this.frames % CHUNK_FRAMES;
    if (at === 0) this.chunks.push(new Float32Array(CHUNK_FRAMES * n));
    const out = this.chunks[this.chunks.length - 1]!;
    const x = this.windowed;
    const len = this.frameLen;
    for (let i = 0; i < len; i++) x[i] = this.pending[i]! * this.window[i]!;
    // Four filters per pass over the frame: the sample is loaded once for four, and the
    // four recurrences run side by side (this loop is most of the decoder's time).
    let k = 0;
    for (; k + 4 <= n; k += 4) {
      const c0 = this.coeff[k]!;
      const c1 = this.coeff[k + 1]!;
      const c2 = this.coeff[k + 2]!;
      const c3 = this.coeff[k + 3]!;
      let a1 = 0, a2 = 0, b1 = 0, b2 = 0, d1 = 0, d2 = 0, e1 = 0, e2 = 0;
      for (let i = 0; i < len; i++) {
        const v = x[i]!;
        const a0 = v + c0 * a1 - a2;
        const b0 = v + c1 * b1 - b2;
        const d0 = v + c2 * d1 - d2;
        const e0 = v + c3 * e1 - e2;
        a2 = a1; a1 = a0;
        b2 = b1; b1 = b0;
        d2 = d1; d1 = d0;
        e2 = e1; e1 = e0;
      }
      const o = at * n + k;
      out[o] = (a1 * a1 + a2 * a2 - c0 * a1 * a2) / this.scale;
      out[o + 1] = (b1 * b1 + b2 * b2 - c1 * b1 * b2) / this.scale;
      out[o + 2] = (d1 * d1 + d2 * d2 - c2 * d1 * d2) / this.scale;
      out[o + 3] = (e1 * e1 + e2 * e2 - c3 * e1 * e2) / this.scale;
    }
    for (; k < n; k++) {
      const c = this.coeff[k]!;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < len; i++) {
        const s0 = x[i]! + c * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      out[at * n + k] = (s1 * s1 + s2 * s2 - c * s1 * s2) / this.scale;
    }
    this.frames++;
  }

  finish(): ToneResult {
    const n = this.freqs.length;
    const T = this.frames;
    if (T === 0) return { bursts: [], pitchHz: null, clarity: 0 };
    // One flat array of every frame's filters, so the passes below index it directly.
    const P = new Float32Array(T * n);
    for (const [i, c] of this.chunks.entries()) P.set(c.subarray(0, Math.min(c.length, P.length - i * CHUNK_FRAMES * n)), i * CHUNK_FRAMES * n);
    const medians = new Float64Array(T);
    for (let t = 0; t < T; t++) medians[t] = Math.max(P.slice(t * n, t * n + n).sort()[n >> 1]!, 1e-12);
    const tilt = this.tilt(P, medians);
    // Each filter against the frame's median, corrected for the noise's own slope (pink noise
    // and hum are stronger low down): what is left stands out only where a tone is.
    const ratio = (t: number, k: number) => P[t * n + k]! / (medians[t]! * tilt[k]!);
    // The pitch: the filter that stands out most (frames, times how far), preferring one
    // that also falls silent (a beep) over one that never does (a hum inside the band).
    // Noise lifts a filter just over the line now and then; a beep, far over it.
    const on = new Int32Array(n);
    const score = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      let best = 0;
      let r = 0;
      for (let k = 0; k < n; k++) {
        const rk = P[t * n + k]! / tilt[k]!;
        if (rk > r) {
          r = rk;
          best = k;
        }
      }
      r /= medians[t]!;
      if (r >= ON_RATIO && P[t * n + best]! >= MIN_POWER) {
        on[best]!++;
        score[best]! += 1 + 10 * Math.log10(r / ON_RATIO);
      }
    }
    const beeping = (k: number) => on[k]! >= MIN_RUN && on[k]! <= T * 0.9;
    const anyBeeping = Array.from(on.keys()).some(beeping);
    let pitch = -1;
    for (let k = 0; k < n; k++) {
      if (on[k]! < MIN_RUN || (anyBeeping && !beeping(k))) continue;
      if (pitch < 0 || score[k]! > score[pitch]!) pitch = k;
    }
    if (pitch < 0) return { bursts: [], pitchHz: null, clarity: 0 };

    const lo = Math.max(0, pitch - 1);
    const hi = Math.min(n - 1, pitch + 1);
    const level = new Float64Array(T);
    const prominence = new Float64Array(T);
    const lit = new Uint8Array(T);
    let state = false;
    for (let t = 0; t < T; t++) {
      for (let k = lo; k <= hi; k++) {
        level[t] = Math.max(level[t]!, P[t * n + k]!);
        prominence[t] = Math.max(prominence[t]!, ratio(t, k));
      }
      state = level[t]! >= MIN_POWER && prominence[t]! >= (state ? OFF_RATIO : ON_RATIO);
      lit[t] = state ? 1 : 0;
    }
    // Noise alone lifts a filter to about 12 dB over the median for a few frames; a beep,
    // even one as loud as the noise around it, stands 17 dB or more above it.
    const tonal = this.split(this.spans(lit, MIN_RUN), level).filter(([s, e]) => quantile(prominence.subarray(s, e), 0.5) >= BEEP_PROMINENCE);
    // One speaker beeps at one loudness: a tone 10 dB under the loudest beep is something else.
    const loudness = tonal.map(([s, e]) => quantile(level.subarray(s, e), 0.75));
    const loudest = Math.max(0, ...loudness);
    const bursts = tonal.filter((_, i) => loudness[i]! >= loudest / 10);
    const ratios = Float64Array.from(bursts.flatMap(([s, e]) => Array.from(prominence.subarray(s, e))));
    const db = ratios.length ? 10 * Math.log10(quantile(ratios, 0.5)) : 0;
    return { bursts: bursts.map(([s, e]) => this.toMs(s, e)), pitchHz: this.freqs[pitch]!, clarity: bursts.length ? Math.min(1, Math.max(0.2, (db - 9) / 15)) : 0 };
  }

  /**
   * How far each filter usually sits above the median (its quarter-quantile over the
   * recording): the noise's slope, which a beep, on for a minority of frames, does not
   * move. Noise slopes smoothly, a tone does not: a filter is allowed at most twice the
   * slope of filters 200 Hz away, so a tone on all the time is still heard.
   */
  private tilt(P: Float32Array, medians: Float64Array): Float64Array {
    const T = this.frames;
    const n = this.freqs.length;
    const col = new Float64Array(T);
    const q = Float64Array.from(this.freqs, (_, k) => {
      for (let t = 0; t < T; t++) col[t] = P[t * n + k]! / medians[t]!;
      col.sort();
      return col[Math.floor(T / 4)]!;
    });
    const away = 200 / STEP_HZ;
    return q.map((v, k) => {
      const near = [q[k - away], q[k + away]].filter((x): x is number => x !== undefined);
      return Math.max(1, Math.min(v, 2 * Math.min(...near)));
    });
  }

  /** Runs of lit frames as [start, end) pairs, dropouts shorter than `bridge` frames joined. */
  private spans(lit: Uint8Array, bridge: number): [number, number][] {
    const spans: [number, number][] = [];
    for (let t = 0; t < lit.length; ) {
      if (!lit[t]) {
        t++;
        continue;
      }
      let e = t;
      while (e < lit.length && lit[e]) e++;
      const last = spans[spans.length - 1];
      if (last && t - last[1] < bridge) last[1] = e;
      else spans.push([t, e]);
      t = e;
    }
    return spans;
  }

  /**
   * A 20 ms frame hears a beep before it starts and after it ends, and noise can hold the
   * detector on across a short pause: within each span, only frames within 10 dB of the
   * span's loud part are beep, which splits beeps a noisy pause had joined.
   */
  private split(spans: [number, number][], level: Float64Array): [number, number][] {
    const out: [number, number][] = [];
    for (const [s, e] of spans) {
      const loud = quantile(level.subarray(s, e), 0.75);
      const lit = new Uint8Array(e - s);
      for (let t = s; t < e; t++) lit[t - s] = level[t]! >= loud / 10 ? 1 : 0;
      for (const [a, b] of this.spans(lit, 2)) if (b - a >= MIN_BEEP) out.push([s + a, s + b]);
    }
    return out;
  }

  private toMs(s: number, e: number): Burst {
    const ms = (frame: number) => ((frame * this.hop + this.frameLen / 2) * 1000) / this.rate;
    return { startMs: Math.max(0, ms(s) - this.hopMs / 2), endMs: ms(e - 1) + this.hopMs / 2 };
  }
}
