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

/** What a verifier needs of a line: its place in the chain, whether its hash holds, and a pruning note's extent. */
export interface ChainLine extends ChainLink {
  seq: number;
  prev: string;
  sealed: boolean;
  /** Set on the writer's note that the size cap removed the oldest files: up to which entry, with its hash. */
  prunedThrough?: ChainLink;
}

const HASH_TAIL_LENGTH = ',"hash":"'.length + 64 + '"}'.length;
const PREV_LENGTH = ',"prev":"'.length + 64 + '"'.length;
const SEQ = /^\{"seq":(\d{1,15}),/;

/** seq, prev and hash of a line shaped as the writer writes it (`{"seq":N,` first, prev and hash last), by position. */
function asWritten(line: string): { seq: number; prev: string; hash: string } | undefined {
  const seq = SEQ.exec(line);
  if (!seq || line.length < HASH_TAIL_LENGTH + PREV_LENGTH + seq[0].length) return undefined;
  const tail = line.slice(line.length - HASH_TAIL_LENGTH);
  const prevPart = line.slice(line.length - HASH_TAIL_LENGTH - PREV_LENGTH, line.length - HASH_TAIL_LENGTH);
  if (!tail.startsWith(',"hash":"') || !tail.endsWith('"}') || !prevPart.startsWith(',"prev":"') || !prevPart.endsWith('"')) return undefined;
  // Not checked as hex here: a hash that is not one matches no hash, and is reported as such.
  return { seq: Number(seq[1]), prev: prevPart.slice(9, 73), hash: tail.slice(9, 73) };
}

/**
 * The chain fields of one line, undefined when it is no entry. A line shaped as the writer
 * writes it is read without parsing its JSON (verifying is mostly hashing then); only a
 * pruning note, or a line of another shape, is parsed whole.
 */
export function readChainLine(line: string): ChainLine | undefined {
  const w = asWritten(line);
  if (!w || line.includes('"action":"audit log pruned"')) {
    const d = decodeLine(line);
    if (!d.readable) return undefined;
    const e = d.entry;
    const through = e.details as { throughSeq?: unknown; throughHash?: unknown } | undefined;
    const pruned = e.action === 'audit log pruned' && typeof through?.throughSeq === 'number' && typeof through.throughHash === 'string';
    return { seq: e.seq, prev: e.prev, hash: e.hash, sealed: d.sealed, ...(pruned && { prunedThrough: { seq: through.throughSeq as number, hash: through.throughHash as string } }) };
  }
  return { ...w, sealed: sha256Hex(line.slice(0, line.length - HASH_TAIL_LENGTH)) === w.hash };
}
