import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeyEngine, type EngineSettings } from '../../src/engine/key-engine.js';
import { Keystore } from '../../src/engine/keystore.js';
import { realWorld, type World } from '../../src/engine/world.js';

export function tempDir(prefix = 'qkm-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  // A process just killed (a console pane closed at teardown) may still write its last log lines: retry, as rm -rf would be run again.
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

/** A clock tests can move; randomness stays real (keys must be distinct). */
export function testWorld(start = Date.UTC(2026, 10, 25, 8, 0, 0)): World & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, randomBytes: realWorld.randomBytes, advance: (ms) => { t += ms; } };
}

export const SETTINGS: EngineSettings = {
  serial: 'QKMTEST01',
  setSizes: { i500: 64, i2000: 256 },
  depletionPercent: 80,
  requireBackup: true,
};

export function openEngine(dataDir: string, settings: Partial<EngineSettings> = {}, world: World = testWorld()): KeyEngine {
  const store = Keystore.open(dataDir, world, { create: true, serial: settings.serial ?? SETTINGS.serial });
  return new KeyEngine(store, { ...SETTINGS, ...settings }, world);
}
