import { lstatSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { KeystoreError } from '../errors.js';
import { fsyncDir } from '../util/durable-file.js';
import { DB_FILE, KEYSTORE_LINK } from './keystore.js';
import { RESTORE_WORK_PREFIX, candidateOf } from './restore-work.js';
import Database from 'better-sqlite3';

/** A keystore folder a restore replaced and kept aside: its keys may exist nowhere else. */
export interface KeptKeystore {
  name: string;
  path: string;
  bytes: number;
  /** When it was last written (the replaced keystore's last change, about when it was replaced). */
  modifiedAt: number;
  /** Undefined when its database cannot be read. */
  keys: number | undefined;
}

const KEYSTORE_DIR = /^keystore-[\w-]+$/;

/** The folder `<data_dir>/keystore` points at, if there is one. */
export function liveKeystoreName(dataDir: string): string | undefined {
  try {
    return path.basename(readlinkSync(path.join(dataDir, KEYSTORE_LINK)));
  } catch {
    return undefined;
  }
}

/**
 * Every keystore folder in the data directory except the live one and those a running
 * restore is building: the copies restores kept aside. They are never removed by qkm on
 * its own; the administrator decides (removeKeptKeystore).
 */
export function listKeptKeystores(dataDir: string): KeptKeystore[] {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    return [];
  }
  const skip = new Set([liveKeystoreName(dataDir), ...names.filter((n) => n.startsWith(RESTORE_WORK_PREFIX)).map((n) => candidateOf(path.join(dataDir, n)))]);
  return names
    .filter((n) => KEYSTORE_DIR.test(n) && !skip.has(n) && lstatSync(path.join(dataDir, n)).isDirectory())
    .map((name) => {
      const dir = path.join(dataDir, name);
      let bytes = 0;
      let modifiedAt = statSync(dir).mtimeMs;
      for (const f of readdirSync(dir)) {
        const st = statSync(path.join(dir, f));
        bytes += st.size;
        modifiedAt = Math.max(modifiedAt, st.mtimeMs);
      }
      return { name, path: dir, bytes, modifiedAt, keys: countsOf(path.join(dir, DB_FILE))?.keys };
    })
    .sort((a, b) => a.modifiedAt - b.modifiedAt);
}

/** Removes one kept-aside keystore, by the name `listKeptKeystores` gives; never the live one. */
export function removeKeptKeystore(dataDir: string, name: string): KeptKeystore {
  const base = path.basename(name);
  if (base === liveKeystoreName(dataDir) || base === KEYSTORE_LINK) {
    throw new KeystoreError('KEYSTORE_LIVE', `${base} is the live keystore, which qkmd uses; only a copy kept aside by a restore can be removed.`, { params: { name: base } });
  }
  const kept = listKeptKeystores(dataDir).find((k) => k.name === base);
  if (!kept) {
    throw new KeystoreError('KEYSTORE_NOT_KEPT', `There is no kept-aside keystore named ${base} in ${dataDir}; the list of kept-aside keystores gives their names.`, { params: { name: base, dataDir } });
  }
  rmSync(kept.path, { recursive: true, force: true });
  fsyncDir(dataDir);
  return kept;
}

export interface KeystoreCounts { keys: number; handedOut: number }

/** How many keys a keystore database holds and how many it has handed out; undefined if it cannot be read. */
export function countsOf(dbFile: string): KeystoreCounts | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true, timeout: 10_000 });
    const count = (sql: string) => db!.prepare(sql).pluck().get() as number;
    return { keys: count('SELECT COUNT(*) FROM keys'), handedOut: count("SELECT COUNT(*) FROM keys WHERE state <> 'unused'") };
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}
