import { Writable } from 'node:stream';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { loadConfig, PACKAGE_ROOT } from '../../src/config/config.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import type { HardwareHost } from '../../src/hardware/start.js';
import { openEngine, removeDir, tempDir } from '../helpers/engine.js';

/** The shipped appliance profile, with no tool allowed to run (this machine's disks are not ours); `env` adds settings. */
export const applianceConfig = (root: string, env: Record<string, string> = {}) =>
  loadConfig({ configFile: path.join(PACKAGE_ROOT, 'config', 'appliance.toml'), env: { QKM_HARDWARE_RUN_COMMANDS: 'false', QKM_HARDWARE_ROOT: root, ...env } });

/** A real pino logger whose lines land in an array. */
export function captureLog() {
  const lines: { level: number; msg: string; driver?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

/**
 * Each test of the file gets a fresh folder and keystore (for the tickets); the hardware
 * it starts is stopped after it. Read the fields inside a test, not at load.
 */
export function hardwareBed(prefix: string) {
  const bed = { dir: '', engine: undefined as unknown as KeyEngine, host: undefined as HardwareHost | undefined };
  beforeEach(() => {
    bed.dir = tempDir(prefix);
    bed.engine = openEngine(bed.dir);
  });
  afterEach(async () => {
    await bed.host?.stop();
    bed.host = undefined;
    bed.engine.store.close();
    removeDir(bed.dir);
  });
  return bed;
}
