import { createHash } from 'node:crypto';

/** The `prev` of the very first entry a data directory ever wrote. */
export const GENESIS = '0'.repeat(64);

/** done: the action happened; refused: bad input or not allowed, nothing changed; failed: it went wrong. */
export type AuditOutcome = 'done' | 'refused' | 'failed';

/** What a caller says about one action. */
export interface AuditFields {
  /** What was done, as a short stable name: `backup`, `keys generate`, `console login`, ... */
  action: string;
  outcome: AuditOutcome;
  /** Who did it: `akmadmin` at the console, a library's name over KMIP; the program otherwise. */
  actor?: string;
  /** Plain values only (names, counts, codes): never a key, a secret or a password hash. */
  details?: Record<string, unknown>;
}

/** An entry as stored: the caller's fields, its place in the chain and the hash that seals it. */
export interface AuditEntry extends AuditFields {
  seq: number;
  time: string;
  program: string;
  pid: number;
  /** The hash of the entry before (GENESIS for the first). */
  prev: string;
  hash: string;
}

/** A position in the chain: an entry's number and hash. */
export interface ChainLink {
  seq: number;
  hash: string;
}

/**
 * Each entry is one JSON line whose last member is `"hash"`: the SHA-256 of the line's
 * exact bytes before it. Hashing the bytes as written, not a re-serialisation, means any
 * edited byte (a space, a reordered member) shows, and a reader needs no canonical form.
 */
const HASH_TAIL = /,"hash":"([0-9a-f]{64})"\}$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function encodeEntry(e: Omit<AuditEntry, 'hash'>): { line: string; hash: string } {
  const sealed = JSON.stringify({
    seq: e.seq, time: e.time, program: e.program, pid: e.pid, actor: e.actor,
    action: e.action, outcome: e.outcome, details: e.details, prev: e.prev,
  }).slice(0, -1);
  const hash = sha256Hex(sealed);
  return { line: `${sealed},"hash":"${hash}"}\n`, hash };
}

/**
 * One stored line read back. `sealed` is false when the hash does not match the bytes;
 * the entry's own claims (seq, prev, hash) are still given when they can be read, so a
 * verifier can follow the chain past an altered entry and report each break once.
 */
export type DecodedLine =
  | { readable: true; sealed: boolean; entry: AuditEntry }
  | { readable: false };

export function decodeLine(line: string): DecodedLine {
  let entry: AuditEntry;
  try {
    entry = JSON.parse(line) as AuditEntry;
  } catch {
    return { readable: false };
  }
  if (!entry || typeof entry !== 'object' || !Number.isSafeInteger(entry.seq) || typeof entry.prev !== 'string' || typeof entry.hash !== 'string') {
    return { readable: false };
  }
  const m = HASH_TAIL.exec(line);
  const sealed = m !== null && m[1] === entry.hash && sha256Hex(line.slice(0, m.index)) === entry.hash;
  return { readable: true, sealed, entry };
}
