/**
 * The beeps family: the power-on self-test's speaker. POST sounds one beep when it
 * passes and any other pattern when it finds a problem. A pattern reaches qkm two ways:
 * a recording (a WAV an engineer makes with a phone) or the speaker's edges, which the
 * serial front-panel board timestamps and reports. Both become the same decoding.
 */

/** One change of the speaker, as the front-panel board reports it: on at atMs, or off. */
export interface BeepEdge {
  /** Milliseconds on the board's clock; only differences matter. */
  atMs: number;
  on: boolean;
}

/** One tone burst heard: from startMs to endMs (milliseconds from the recording's start or the first edge). */
export interface Burst {
  startMs: number;
  endMs: number;
}

export interface BeepDecoding {
  /**
   * The pattern in the form the server maker's tables use: `1`, `1-1-3`, `1 long 2 short`,
   * `continuous`, `repeating short`; null when no beep was found.
   */
  pattern: string | null;
  /** The pattern was heard more than once in a row (POST repeats some codes until powered off). */
  repeating: boolean;
  /** How many times it was heard (a partial first or last one counts). */
  repetitions: number;
  /** 0 to 1: how clearly the tone stood out and how regular the rhythm was. */
  confidence: number;
  /** The beep's pitch in a recording; null for edges or when nothing was heard. */
  pitchHz: number | null;
  bursts: Burst[];
}

/** The last boot's POST as the beeps backend heard it. */
export interface PostReading {
  /** When the boot's beeps were heard (the backend's clock). */
  at: number;
  /** A name for this boot, so a ticket opens once per boot, not once per reading. */
  boot: string;
  decoding: BeepDecoding;
}

export interface BeepsBackend {
  readonly kind: string;
  /** The last POST heard since this backend started, or null before the first. */
  lastPost(): Promise<PostReading | null>;
  /** Called when a new POST has been heard, so a ticket opens at once. */
  onChange(listener: () => void): () => void;
}

/** The pattern POST sounds when it passes (the manual's rule: one beep). */
export const POST_PASSED = '1';
