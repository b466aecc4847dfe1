import type { Command } from 'commander';
import type { RecordingDecoding } from '../../drivers/beeps/decode.js';
import { decodeWav } from '../../drivers/beeps/decode.js';
import { meaningOf, type PostMeaning } from '../../drivers/beeps/table.js';
import { isDriverError } from '../../drivers/errors.js';
import { QkmError } from '../errors.js';
import { DEFAULT_BEEP_CODES, beepTable } from '../hardware/beep-codes.js';

export interface BeepsCommandDeps {
  /** qkmcmds' action wrapper: errors become one sentence and exit status 1. */
  action: <A extends unknown[]>(body: (...args: A) => Promise<number | void> | number | void) => (...args: A) => Promise<void>;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);

const VERDICT_WORDS: Record<PostMeaning['verdict'], string> = {
  passed: 'POST passed.',
  problem: 'POST found a problem.',
  'no-beep': 'No beep found.',
};

function heard(d: RecordingDecoding): string {
  if (!d.repeating) return d.pattern!;
  return `${d.pattern} (repeating: heard ${d.repetitions} times, the first or last perhaps cut off)`;
}

/**
 * `qkmcmds beeps decode FILE.wav`: works on a file alone, with no data directory and no
 * qkmd, so a field engineer can run it on any checkout with the phone's recording.
 */
export function addBeepsCommands(program: Command, deps: BeepsCommandDeps): void {
  const beeps = program.command('beeps').description("the power-on self-test's beep codes");
  beeps.command('decode')
    .description('decode a recording of the POST beeps (a WAV file): the pattern, how sure, what it means and what to do')
    .argument('<file>', 'the recording, a WAV file (PCM or float, mono or stereo, 8 kHz or more)')
    .option('--codes <model|file>', `the server model's beep code table (config/beep-codes/<model>.toml, or a file)`, DEFAULT_BEEP_CODES)
    .option('--json', 'machine-readable output')
    .action(deps.action(async (file: string, o: { codes: string; json?: boolean }) => {
      const table = beepTable(o.codes);
      let d: RecordingDecoding;
      try {
        d = await decodeWav(file);
      } catch (e) {
        throw isDriverError(e) ? new QkmError('DRIVER_ERROR', e.message, { cause: e, params: { driverCode: e.code } }) : e;
      }
      const m = meaningOf(table, d);
      if (o.json) {
        const { bursts, ...rest } = d;
        out(JSON.stringify({ file, model: table.model, ...rest, verdict: m.verdict, listed: m.listed, meaning: m.meaning, action: m.action, bursts }, null, 2));
        return m.verdict === 'no-beep' ? 1 : 0;
      }
      if (m.verdict === 'no-beep') {
        throw new QkmError('NO_BEEP', `No beep found in ${file} (${Math.round(d.seconds)} s); record again from power-on, with the phone close to the front of the server and the room as quiet as it can be.`, { params: { file } });
      }
      out(`Pattern:     ${heard(d)}`);
      out(`Confidence:  ${d.confidence.toFixed(2)}${d.pitchHz ? ` (a ${d.pitchHz} Hz tone)` : ''}`);
      out(`Verdict:     ${VERDICT_WORDS[m.verdict]}`);
      out(`Meaning:     ${m.meaning}${m.listed ? '' : ` (the ${table.model} table does not list this pattern)`}`);
      out(`What to do:  ${m.action}`);
      if (d.confidence < 0.5) out('The recording is unclear: record again closer to the server to be sure of the pattern.');
    }));
}
