import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type ChainLink, GENESIS, decodeLine } from './audit-chain.js';
import { AUDIT_HEAD, auditDir, chainFiles, readHead, withAuditLock } from './audit.js';

/**
 * altered: an entry's bytes do not match its hash; unreadable: a line that is no entry;
 * missing: entries absent between two that are there (a dropped line, a deleted file);
 * out-of-order: an entry older than the one before it; start-missing: the oldest entries
 * are gone and no entry of the chain says the size cap removed them; end-missing: the log
 * ends before the last entry written (cut short, or its newest file removed).
 */
export type BreakKind = 'altered' | 'unreadable' | 'missing' | 'out-of-order' | 'start-missing' | 'end-missing';

export interface ChainBreak {
  kind: BreakKind;
  /** The file (in <data_dir>/logs) and line (from 1) where it shows; absent for the end. */
  file?: string;
  line?: number;
  /** The entry's number, when it can be read. */
  seq?: number;
  /** The entries that should be there and are not, first and last. */
  lost?: { from: number; to: number };
  /** The neutral sentence. */
  text: string;
}

export interface AuditReport {
  intact: boolean;
  entries: number;
  files: string[];
  first?: number;
  last?: number;
  breaks: ChainBreak[];
  /** What is not a break: a last line a crash cut short before it was acknowledged. */
  notes: string[];
}

interface Seen extends ChainLink {
  file: string;
  line: number;
  prev: string;
}

/** Reads the whole chain under the writers' lock and says where it is broken. */
export function verifyAudit(dataDir: string): AuditReport {
  const dir = auditDir(dataDir);
  return withAuditLock(dir, () => verifyDir(dir));
}

function verifyDir(dir: string): AuditReport {
  const files = chainFiles(dir);
  const breaks: ChainBreak[] = [];
  const notes: string[] = [];
  const prunedThrough = new Map<number, string>();
  let first: Seen | undefined;
  let last: Seen | undefined;
  let entries = 0;
  let cutShort: { file: string; line: number } | undefined;

  for (const file of files) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const lines = text.split('\n');
    const tail = lines.pop()!; // '' when the file ends with a newline
    if (tail !== '') {
      if (file === files[files.length - 1]) cutShort = { file, line: lines.length + 1 };
      else breaks.push({ kind: 'unreadable', file, line: lines.length + 1, text: `${file} line ${lines.length + 1} is an entry cut short, in a file that was complete when it was closed.` });
    }
    lines.forEach((line, i) => {
      const at = { file, line: i + 1 };
      const d = decodeLine(line);
      if (!d.readable) {
        breaks.push({ kind: 'unreadable', ...at, text: `${file} line ${i + 1} is not an audit entry.` });
        return;
      }
      const e = d.entry;
      if (!d.sealed) breaks.push({ kind: 'altered', ...at, seq: e.seq, text: `Entry ${e.seq} (${file} line ${i + 1}) was altered: its content does not match its hash.` });
      if (last) {
        if (e.seq <= last.seq) {
          breaks.push({ kind: 'out-of-order', ...at, seq: e.seq, text: `Entry ${e.seq} (${file} line ${i + 1}) comes after entry ${last.seq}: entries were reordered or copied.` });
        } else if (e.seq > last.seq + 1) {
          const lost = { from: last.seq + 1, to: e.seq - 1 };
          breaks.push({ kind: 'missing', ...at, seq: e.seq, lost, text: `${range(lost)} missing between ${where(last)} and ${file} line ${i + 1}.` });
        } else if (e.prev !== last.hash) {
          breaks.push({ kind: 'altered', ...at, seq: e.seq, text: `Entry ${e.seq} (${file} line ${i + 1}) does not follow from entry ${last.seq}: one of them was replaced.` });
        }
      }
      const seen = { seq: e.seq, hash: e.hash, prev: e.prev, ...at };
      first ??= seen;
      last = seen;
      entries++;
      const d2 = e.details as { throughSeq?: unknown; throughHash?: unknown } | undefined;
      if (e.action === 'audit log pruned' && d.sealed && typeof d2?.throughSeq === 'number' && typeof d2.throughHash === 'string') {
        prunedThrough.set(d2.throughSeq, d2.throughHash);
      }
    });
  }

  if (first && !(first.seq === 1 && first.prev === GENESIS) && prunedThrough.get(first.seq - 1) !== first.prev) {
    const lost = { from: 1, to: first.seq - 1 };
    breaks.push({ kind: 'start-missing', file: first.file, line: first.line, seq: first.seq, lost, text: `The log starts at entry ${first.seq} (${where(first)}), and no entry says the size cap removed the ones before: ${range(lost).toLowerCase()} missing (an older file was deleted or cut).` });
  }

  const head = readHead(dir);
  const lastSeq = (last as Seen | undefined)?.seq ?? 0;
  if (head && head.seq > lastSeq) {
    const lost = { from: lastSeq + 1, to: head.seq };
    breaks.push({ kind: 'end-missing', seq: head.seq, lost, text: `Entry ${head.seq} was the last written, but the log ends at ${lastSeq === 0 ? 'nothing' : `entry ${lastSeq}`}: ${range(lost).toLowerCase()} missing (the log was cut short or its newest file removed).` });
  } else if (head && head.seq === lastSeq && head.hash !== (last as Seen | undefined)?.hash) {
    breaks.push({ kind: 'altered', seq: head.seq, text: `Entry ${head.seq}, the last written, is not the one in the log: it was replaced.` });
  } else if (!head && entries > 1) {
    breaks.push({ kind: 'end-missing', text: `${AUDIT_HEAD} is missing, so whether the log was cut short cannot be told.` });
  }

  // Cut short after the last entry audit.head names: a write a crash stopped before it was
  // acknowledged. Cut short before it: already a break above.
  if (cutShort) notes.push(`${cutShort.file} line ${cutShort.line} is an entry cut short before it was recorded (a crash); the next entry written removes it.`);

  return { intact: breaks.length === 0, entries, files, first: first?.seq, last: (last as Seen | undefined)?.seq, breaks, notes };
}

function where(s: Seen): string {
  return `${s.file} line ${s.line}`;
}

function range(r: { from: number; to: number }): string {
  return r.from === r.to ? `Entry ${r.from} is` : `Entries ${r.from} to ${r.to} are`;
}
