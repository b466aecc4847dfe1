import { existsSync, readFileSync } from 'node:fs';
import { controlRequest } from '../control/client.js';
import { KEYSTORE_SCHEMA_VERSION } from '../engine/index.js';
import type { UpdateError } from '../errors.js';
import path from 'node:path';
import { QkmError } from '../errors.js';
import { type BundleSource, type InstalledState, type Manifest, openIsoBundle, readSignedBundle, refusalFor, updatePublicKey, verifyPayload } from '../update/bundle/index.js';
import { type BootState, type SlotName, readBootState } from '../update/slots/boot-state.js';
import { type InstallOptions, type InstallResult, installUpdate } from '../update/slots/install.js';
import { launcherPidFile, slotRoot, versionIn } from '../update/slots/launcher.js';
import { rollBackTo } from '../update/slots/rollback.js';
import { claimSoftware } from './update-lock.js';
import { BUILTIN_DRIVE, type UpdateDrive } from '../hardware/update-drives.js';

/** What an update CD holds and whether this box would take it. */
export interface UpdateCheck {
  source: string;
  folder: string;
  manifest: Manifest;
  installed: InstalledState;
  /** Why it would not be installed (older, too new a step, a keystore it cannot read); null when it would. */
  refusal: UpdateError | null;
}

export type UpdateOptions = Omit<InstallOptions, 'installed'> & {
  /** The software the launcher belongs to (the slot "base"). */
  baseDir: string;
};

/** The version the box runs: the active slot's, whichever qkmcmds is asking. */
export function installedState(o: Pick<UpdateOptions, 'dataDir' | 'baseDir'>): InstalledState {
  // The installed software keeps the keystore at its own schema version (qkmd upgrades it when it opens it).
  return { version: versionIn(slotRoot(o, readBootState(o.dataDir).active)), keystoreSchema: KEYSTORE_SCHEMA_VERSION };
}

/**
 * Reads and verifies an update without changing anything: a bundle that is unsigned,
 * signed by another key, altered or damaged is thrown as its one sentence; a trusted
 * bundle this box must not take is returned with the reason, since what it is can be
 * believed. Every payload file is hashed only when the bundle would be installed.
 */
export async function checkUpdate(source: BundleSource, o: UpdateOptions): Promise<UpdateCheck> {
  const bundle = await readSignedBundle(source, updatePublicKey(o.publicKey));
  const installed = installedState(o);
  const refusal = refusalFor(bundle.manifest, installed);
  if (!refusal) await verifyPayload(source, bundle, o.onProgress);
  return { source: source.description, folder: bundle.folder, manifest: bundle.manifest, installed, refusal };
}

/** Installs into the inactive slot, switches to it on trial, and asks a running launcher to start it. */
export async function applyUpdate(source: BundleSource, o: UpdateOptions): Promise<InstallResult & { from: string; restarted: boolean }> {
  const release = claimSoftware(o.dataDir, 'install an update');
  try {
    const installed = installedState(o);
    const r = await installUpdate(source, { ...o, installed });
    return { ...r, from: installed.version, restarted: restartLauncher(o.dataDir) };
  } finally {
    release();
  }
}

export async function rollBack(source: BundleSource, o: UpdateOptions): Promise<{ from: string; to: string; restarted: boolean }> {
  const release = claimSoftware(o.dataDir, 'roll back');
  try {
    const r = await rollBackTo(source, o);
    return { ...r, restarted: restartLauncher(o.dataDir) };
  } finally {
    release();
  }
}

/**
 * The disc in a CD drive of the running qkmd (the built-in one unless `drive` names
 * another), as a path the ISO reader can open (BAY_EMPTY refused when there is none). A
 * USB drive's disc is read whole by qkmd into a copy first (`copied`), which the caller
 * removes once read; `sizeBytes` bounds how long that may take.
 */
export async function discInDrive(dataDir: string, drive?: string, sizeBytes?: number | null): Promise<{ path: string; label: string | null; copied?: true }> {
  // The slowest drive reads 150 KiB/s (1x); a disc of unknown size gets a DVD's.
  const readMs = drive === undefined || drive === BUILTIN_DRIVE ? undefined : 60_000 + ((sizeBytes ?? 4.7e9) / (150 * 1024)) * 1000;
  return (await controlRequest(dataDir, { op: 'cd-disc', ...(drive === undefined ? {} : { drive }) }, readMs)) as { path: string; label: string | null; copied?: true };
}

/** The drives the running qkmd can read update CDs from, and the disc in each. */
export async function updateDrives(dataDir: string): Promise<UpdateDrive[]> {
  return (await controlRequest(dataDir, { op: 'cd-drives' })) as UpdateDrive[];
}

export interface SoftwareStatus {
  active: { slot: SlotName; version: string };
  previous: { slot: SlotName; version: string } | null;
  trial: BootState['trial'];
  failed: BootState['failed'];
}

/** Which version runs, which one a rollback returns to, and what the last failed trial was. */
export function softwareStatus(o: Pick<UpdateOptions, 'dataDir' | 'baseDir'>): SoftwareStatus {
  const s = readBootState(o.dataDir);
  const at = (slot: SlotName) => ({ slot, version: versionIn(slotRoot(o, slot)) });
  return { active: at(s.active), previous: s.previous ? at(s.previous) : null, trial: s.trial, failed: s.failed };
}

/** The software status in the words the terminal and the menu both show. */
export function softwareStatusLines(s: SoftwareStatus): string[] {
  return [
    `Running: qkm ${s.active.version} (slot ${s.active.slot})${s.trial ? `, on trial since ${s.trial.since}` : ''}.`,
    s.previous ? `Rollback returns to: qkm ${s.previous.version} (slot ${s.previous.slot}).` : 'No previous version to roll back to.',
    ...(s.failed ? [`Failed trial: qkm ${s.failed.version} (slot ${s.failed.slot}) at ${s.failed.at}: ${s.failed.reason}.`] : []),
  ];
}

/** Opens the update CD's image (`copy`: a copy of the disc `name` says), runs `use`, and always closes it again. */
export async function withIsoImage<T>(file: string | undefined, use: (source: BundleSource) => Promise<T>, name?: string, copy = false): Promise<T> {
  if (!file) throw new QkmError('USAGE', 'Give the update CD as an ISO image file.');
  const source = await openIsoBundle(path.resolve(file), name, copy ? name : undefined);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

/** What to do around an update or a rollback, as the manual asks. */
export const UPDATE_REMINDER = 'Take offline the QKM partitions of every library using this server (library managed encryption) before, and bring them back after; if this server is one of a pair, do the same on the other server.';

/** SIGHUP to the launcher: it stops qkmd and starts the active slot. False when none runs. */
function restartLauncher(dataDir: string): boolean {
  const file = launcherPidFile(dataDir);
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    // A launcher killed outright leaves its pid file: never signal whatever took that pid since.
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qkm-launcher')) return false;
    process.kill(pid, 'SIGHUP');
    return true;
  } catch {
    return false;
  }
}
