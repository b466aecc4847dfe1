import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { UpdateError } from '../../errors.js';
import { fsyncDir } from '../../util/durable-file.js';
import { type BundleSource, type InstalledState, directorySource, payloadFileName, readSignedBundle, updatePublicKey, verifyBundle } from '../bundle/index.js';
import { type SlotName, inactiveSlot, readBootState, slotDir, softwareDir, writeBootState } from './boot-state.js';

export interface InstallOptions {
  dataDir: string;
  /** [update] public_key */
  publicKey: string;
  installed: InstalledState;
  now: () => number;
  onProgress?: (done: number, total: number) => void;
}

export interface InstallResult {
  version: string;
  slot: SlotName;
  /** The slot the box ran before, now the rollback target. */
  previous: SlotName;
}

const INCOMING = '.incoming-';

/**
 * Installs a bundle into the slot that is not running and makes it the active one, on
 * trial. The bundle is first copied off the CD and verified there, so what is unpacked
 * is exactly what was verified, whatever happens to the disc meanwhile. Until the final
 * state write the box still starts what it ran; after it, the new version on trial (the
 * launcher rolls it back if it does not come up healthy). A kill at any step leaves
 * one or the other, and the next install removes what was left half done.
 */
export async function installUpdate(source: BundleSource, o: InstallOptions): Promise<InstallResult> {
  const key = updatePublicKey(o.publicKey);
  const root = softwareDir(o.dataDir);
  const made = (await fs.mkdir(root, { recursive: true })) !== undefined;
  await removeLeftovers(root);
  const work = path.join(root, `${INCOMING}${randomBytes(6).toString('hex')}`);
  try {
    const signed = await readSignedBundle(source, key);
    await fs.mkdir(path.join(work, signed.folder), { recursive: true });
    for (const e of signed.entries.filter((x) => x.kind === 'file')) {
      await pipeline(source.createReadStream(`${signed.folder}/${e.name}`), createWriteStream(path.join(work, signed.folder, e.name)));
    }
    // Named as the CD: the copy is only where its bytes are checked.
    const verified = await verifyBundle(directorySource(work, source.description), key, o.installed, o.onProgress);
    const m = verified.manifest;
    if (!m.files.some((f) => f.name === payloadFileName(m.version))) {
      throw new UpdateError('UPDATE_NO_PAYLOAD', `The update ${verified.folder} has no ${payloadFileName(m.version)}, the software it should install; it is refused.`);
    }

    let state = readBootState(o.dataDir);
    if (state.trial) {
      throw new UpdateError('UPDATE_TRIAL_RUNNING', `The version installed last (slot ${state.active}) is still on trial; install again once the launcher has marked it good or rolled it back.`);
    }
    const target = inactiveSlot(state);
    // The slot is about to be overwritten: it must stop being a rollback target first.
    if (state.previous === target || state.failed?.slot === target) {
      state = { ...state, previous: state.previous === target ? null : state.previous, failed: state.failed?.slot === target ? null : state.failed };
      writeBootState(o.dataDir, state);
    }
    const dir = slotDir(o.dataDir, target);
    await fs.rm(dir, { recursive: true, force: true });
    const fresh = path.join(work, 'slot');
    await unpack(path.join(work, verified.folder, payloadFileName(m.version)), fresh, m.version);
    await fs.rename(fresh, dir);
    fsyncDir(root);

    // The switch: one atomic write.
    writeBootState(o.dataDir, { ...state, active: target, previous: state.active, trial: { since: new Date(o.now()).toISOString(), starts: 0 } });
    return { version: m.version, slot: target, previous: state.active };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
    // A refused bundle leaves the box as it found it, without even an empty software folder.
    if (made && (await fs.readdir(root)).length === 0) await fs.rmdir(root);
  }
}

/** Unpacks the payload and checks it is the software the manifest names, every file on disk. */
async function unpack(payload: string, dir: string, version: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  try {
    // node-tar refuses absolute paths and "..": nothing lands outside the slot.
    await tar.x({ file: payload, cwd: dir, strict: true, filter: (_p, entry) => ['File', 'Directory'].includes((entry as tar.ReadEntry).type) });
  } catch (e) {
    throw new UpdateError('UPDATE_PAYLOAD_UNREADABLE', `The update's software (${path.basename(payload)}) cannot be unpacked, although its sha256 matched the signed manifest; ask the vendor for a good CD.`, { cause: e });
  }
  let said: string | undefined;
  try {
    said = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    said = undefined;
  }
  if (said !== version || !existsSync(path.join(dir, 'bin', 'qkmd.js'))) {
    throw new UpdateError('UPDATE_PAYLOAD_NOT_QKM', `The update's software is not qkm ${version} (its package.json says ${said ?? 'nothing'}); ask the vendor for a good CD.`);
  }
  await syncTree(dir);
}

/**
 * Every file and folder of the slot on disk before the switch names it. syncfs(2) (`sync
 * -f`) flushes the file system in one go: fsync after fsync, a slot's two thousand files
 * took twenty seconds on a busy disk, and a quarter second this way. Where `sync` cannot
 * run, each file is fsynced, many at a time so that the journal commits them together.
 */
async function syncTree(dir: string): Promise<void> {
  if (spawnSync('sync', ['-f', dir]).status === 0) return;
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = async (d: string): Promise<void> => {
    dirs.push(d);
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name));
      else if (e.isFile()) files.push(path.join(d, e.name));
    }
  };
  await walk(dir);
  const all = [...files, ...dirs.reverse()];
  for (let i = 0; i < all.length; i += SYNC_BATCH) {
    await Promise.all(all.slice(i, i + SYNC_BATCH).map(async (p) => {
      const h = await fs.open(p, 'r');
      try {
        await h.sync();
      } finally {
        await h.close();
      }
    }));
  }
}

const SYNC_BATCH = 64;

/** What an install killed half way left: its copy of the CD and its unpacked slot. */
async function removeLeftovers(root: string): Promise<void> {
  for (const name of await fs.readdir(root)) {
    if (name.startsWith(INCOMING)) await fs.rm(path.join(root, name), { recursive: true, force: true });
  }
}
