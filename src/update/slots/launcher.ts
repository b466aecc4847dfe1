import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from '../../util/durable-file.js';
import { type BootState, type SlotName, readBootState, slotDir, softwareDir, writeBootState } from './boot-state.js';
import { askKeyServer, keyServerAddress } from './health-check.js';

export interface LauncherOptions {
  dataDir: string;
  /** The software the launcher came with (its package root): the slot `base`. */
  baseDir: string;
  /** qkmd's arguments, passed through as given. */
  args: string[];
  /** How long a trial may take to report healthy before it is rolled back. */
  trialSeconds: number;
  now: () => number;
  log: (line: string) => void;
}

/** Start attempts a trial gets: one more than none, so a power cut during the first does not condemn it. */
export const TRIAL_STARTS = 2;
const PID_FILE = 'launcher.pid';
/** qkmd's last start-up line: the keystore is open and the key server listens. */
const RUNNING = /^running;/m;

export function launcherPidFile(dataDir: string): string {
  return path.join(softwareDir(dataDir), PID_FILE);
}

export function slotRoot(o: Pick<LauncherOptions, 'dataDir' | 'baseDir'>, slot: SlotName): string {
  return slot === 'base' ? o.baseDir : slotDir(o.dataDir, slot);
}

export function versionIn(root: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the active slot's qkmd, as systemd (or npm start) runs the launcher. A slot on
 * trial that says it is running and answers a KMIP request in time is marked good; one that exits first, stays
 * silent past `trialSeconds`, or has failed to start TRIAL_STARTS times is switched back
 * to the previous slot (the failed one is kept and named in the boot record), and the
 * previous one is started. SIGHUP: stop qkmd and start whatever is active now (after an
 * update or a rollback). SIGTERM/SIGINT: stop qkmd and exit with its status. Resolves
 * with the exit status of the last qkmd when the launcher should end.
 */
export async function runLauncher(o: LauncherOptions): Promise<number> {
  writeFileDurable(launcherPidFile(o.dataDir), `${process.pid}\n`);
  let child: ChildProcess | undefined;
  let restart = false;
  let stop = false;
  const onHup = () => {
    restart = true;
    child?.kill('SIGTERM');
  };
  const onStop = () => {
    stop = true;
    child?.kill('SIGTERM');
  };
  process.on('SIGHUP', onHup);
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  try {
    for (;;) {
      restart = false;
      const state = startable(o);
      const root = slotRoot(o, state.active);
      child = spawn(process.execPath, [path.join(root, 'bin', 'qkmd.js'), ...o.args], { stdio: ['ignore', 'pipe', 'inherit'] });
      const outcome = await watch(child, state, o);
      if (stop) return outcome.code ?? 1;
      if (restart) continue;
      if (state.trial && !outcome.healthy) {
        rollBack(o, state, outcome.reason);
        continue;
      }
      // A good version that exits is not rolled back: the service manager decides what comes next.
      return outcome.code ?? 1;
    }
  } finally {
    process.off('SIGHUP', onHup).off('SIGTERM', onStop).off('SIGINT', onStop);
    rmSync(launcherPidFile(o.dataDir), { force: true });
  }
}

/** The boot record, after counting this start of a trial (or rolling back one that used its starts). */
function startable(o: LauncherOptions): BootState {
  let state: BootState;
  try {
    state = readBootState(o.dataDir);
  } catch (e) {
    // The base software is always there: a box whose record is damaged still starts.
    o.log(`${(e as Error).message} Starting the base software, qkm ${versionIn(o.baseDir)}.`);
    return { active: 'base', previous: null, trial: null, failed: null };
  }
  while (state.active !== 'base' && !existsSync(path.join(slotRoot(o, state.active), 'bin', 'qkmd.js'))) {
    rollBack(o, state, `its slot holds no qkmd`);
    state = readBootState(o.dataDir);
  }
  if (!state.trial) return state;
  if (state.trial.starts >= TRIAL_STARTS) {
    rollBack(o, state, `it did not come up healthy in ${TRIAL_STARTS} starts`);
    return readBootState(o.dataDir);
  }
  const counted = { ...state, trial: { ...state.trial, starts: state.trial.starts + 1 } };
  writeBootState(o.dataDir, counted);
  return counted;
}

interface Outcome {
  code: number | null;
  healthy: boolean;
  reason: string;
}

/**
 * Follows one qkmd. A trial is healthy once qkmd has said it is running (keystore open and
 * checked, key server listening) and its key server has answered a real KMIP request on
 * loopback; until the trial's time runs out, a request that fails is tried again.
 */
function watch(child: ChildProcess, state: BootState, o: LauncherOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let healthy = false;
    let asking = false;
    let over = false;
    let reason = '';
    let lastRefusal = '';
    let seen = '';
    const timer = state.trial
      ? setTimeout(() => {
          reason = `it was not healthy within ${o.trialSeconds} s${lastRefusal ? ` (${lastRefusal})` : ''}`;
          child.kill('SIGKILL');
        }, o.trialSeconds * 1000)
      : undefined;
    const markGood = (where: string) => {
      healthy = true;
      clearTimeout(timer);
      // Re-read: a rollback or an update may have changed the record since this start.
      const now = readBootState(o.dataDir);
      if (now.active === state.active && now.trial) writeBootState(o.dataDir, { ...now, trial: null });
      o.log(`qkm ${versionIn(slotRoot(o, state.active))} answered a KMIP request on ${where}: it is healthy and marked good; qkm ${state.previous ? versionIn(slotRoot(o, state.previous)) : 'none'} stays as the rollback target.`);
    };
    const askUntilAnswered = async () => {
      const at = keyServerAddress(seen);
      if (!at) {
        lastRefusal = 'it never said where its key server listens';
        return;
      }
      const where = `${at.host}:${at.port}`;
      while (!over) {
        try {
          await askKeyServer({ dataDir: o.dataDir, ...at, now: o.now, timeoutMs: HEALTH_REQUEST_MS });
          if (!over) markGood(where);
          return;
        } catch (e) {
          lastRefusal = `its key server on ${where} did not answer a KMIP Discover Versions: ${(e as Error).message}`;
          await new Promise((r) => setTimeout(r, HEALTH_RETRY_MS));
        }
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      process.stdout.write(d);
      if (asking || !state.trial) return;
      seen = (seen + d.toString()).slice(-4096);
      if (!RUNNING.test(seen)) return;
      asking = true;
      void askUntilAnswered();
    });
    child.on('close', (code, signal) => {
      over = true;
      clearTimeout(timer);
      resolve({ code, healthy, reason: reason || `it exited (${signal ?? `status ${code}`}) before it was healthy` });
    });
  });
}

/** One KMIP request of the health check may take this long; a failed one is tried again after HEALTH_RETRY_MS. */
const HEALTH_REQUEST_MS = 5_000;
const HEALTH_RETRY_MS = 1_000;

function rollBack(o: LauncherOptions, state: BootState, reason: string): void {
  const back = state.previous ?? 'base';
  const version = versionIn(slotRoot(o, state.active));
  writeBootState(o.dataDir, {
    active: back,
    previous: null,
    trial: null,
    failed: { slot: state.active, version, reason, at: new Date(o.now()).toISOString() },
  });
  o.log(`qkm ${version} failed its trial (${reason}); rolled back to qkm ${versionIn(slotRoot(o, back))}, and the failed version is kept in its slot for support.`);
}
