import cliProgress from 'cli-progress';
import type { Progress } from '../engine/index.js';

/**
 * A progress bar on a terminal; nothing at all when stderr is piped or redirected,
 * so scripts and logs see only results.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { update: Progress; stop(): void } {
  if (!stream.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total) => {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
