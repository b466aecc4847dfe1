/**
 * The audit chain: how fast `qkmcmds audit verify` follows it (entries per second), next
 * to hashing the same bytes line by line in the same run (what any verifier must do at
 * least), and what one durable entry costs (`record`: lock, append, fsync, head) next to
 * a bare append and fsync of the same line.
 *
 *   npx tsc -p . && node dist/bench/audit-verify.js
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ChainLink, GENESIS, encodeEntry } from '../src/logs/audit-chain.js';
import { AUDIT_FILE, AUDIT_HEAD, AuditLog, chainFiles } from '../src/logs/audit.js';
import { verifyAudit } from '../src/logs/audit-verify.js';
import { median, report } from './report.js';

const ENTRIES = Number(process.env.QKM_BENCH_AUDIT_ENTRIES ?? 100_000);
const FILES = 5;
const RUNS = 5;
const RECORDS = 200;

/** A data directory whose audit log holds `ENTRIES` entries in FILES files, as the writer would leave them. */
function writeChain(dataDir: string): void {
  const dir = path.join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  let last: ChainLink | undefined;
  const per = Math.ceil(ENTRIES / FILES);
  for (let f = 0; f < FILES; f++) {
    const lines: string[] = [];
    for (let i = 0; i < per && (last?.seq ?? 0) < ENTRIES; i++) {
      const seq = (last?.seq ?? 0) + 1;
      const { line, hash } = encodeEntry({
        seq, time: new Date(1_764_000_000_000 + seq * 1000).toISOString(), program: 'qkmcmds', pid: 4242, actor: 'akmadmin',
        action: 'keys generate', outcome: 'done', details: { args: [], options: { library: `LIB${seq % 7}`, class: 'i2000' }, generated: 4096 }, prev: last?.hash ?? GENESIS,
      });
      lines.push(line);
      last = { seq, hash };
    }
    const name = f === FILES - 1 ? AUDIT_FILE : `${AUDIT_FILE}.${String(last!.seq).padStart(10, '0')}`;
    writeFileSync(path.join(dir, name), lines.join(''));
  }
  writeFileSync(path.join(dir, AUDIT_HEAD), `${JSON.stringify(last)}\n`);
}

/** The baseline: read every file and hash each line's bytes, nothing else. */
function hashLines(dataDir: string): number {
  const dir = path.join(dataDir, 'logs');
  let n = 0;
  for (const f of chainFiles(dir)) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (line === '') continue;
      createHash('sha256').update(line, 'utf8').digest('hex');
      n++;
    }
  }
  return n;
}

/** Median rate (items per second) of each function, the runs of both taking turns after one warm-up each. */
function rates(fs: (() => number)[]): number[] {
  for (const f of fs) f();
  const runs: number[][] = fs.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    fs.forEach((f, k) => {
      const t0 = performance.now();
      const n = f();
      runs[k]!.push(n / ((performance.now() - t0) / 1000));
    });
  }
  return runs.map(median);
}

const root = mkdtempSync(path.join(os.tmpdir(), 'qkm-bench-audit-'));
try {
  const chain = path.join(root, 'chain');
  writeChain(chain);
  // Taking turns, so a disturbance of the machine lands on both alike.
  const [verify, hashing] = rates([() => {
    const r = verifyAudit(chain);
    if (!r.intact || r.entries !== ENTRIES) throw new Error(`the bench chain did not verify: ${JSON.stringify(r.breaks.slice(0, 3))}`);
    return r.entries;
  }, () => hashLines(chain)]) as [number, number];
  report(`audit verify, ${ENTRIES} entries in ${FILES} files`, verify / 1000, 'k/s', { name: 'sha256 of each line', value: hashing / 1000 });

  const log = new AuditLog(path.join(root, 'records'), { program: 'bench' });
  const recordMs: number[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const t0 = performance.now();
    log.record({ action: 'backup', outcome: 'done', actor: 'akmadmin', details: { keys: 4096, i } });
    recordMs.push(performance.now() - t0);
  }
  const bare = path.join(root, 'bare.log');
  const line = `${readFileSync(log.file, 'utf8').split('\n')[0]}\n`;
  const bareMs: number[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const t0 = performance.now();
    const fd = openSync(bare, 'a');
    writeSync(fd, line);
    fsyncSync(fd);
    closeSync(fd);
    bareMs.push(performance.now() - t0);
  }
  report('one durable audit entry (record), median', median(recordMs), 'ms', { name: 'append + fsync of the line', value: median(bareMs) });
} finally {
  rmSync(root, { recursive: true, force: true });
}
