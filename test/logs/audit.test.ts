import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config/config.js';
import { AUDIT_FILE, AuditLog, auditDir, rotatedFiles } from '../../src/logs/audit.js';
import { verifyAudit } from '../../src/logs/audit-verify.js';
import { removeDir, tempDir } from '../helpers/engine.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) removeDir(dirs.pop()!);
});

function dataDir(): string {
  const d = tempDir('qkm-audit-');
  dirs.push(d);
  return d;
}

/** A data directory whose audit log holds `n` entries. */
function withEntries(n: number, limits?: { maxFileBytes: number; maxTotalBytes: number }): { dir: string; log: AuditLog } {
  const dir = dataDir();
  const log = new AuditLog(dir, { program: 'qkmcmds', limits });
  for (let i = 1; i <= n; i++) log.record({ action: 'backup', outcome: 'done', actor: 'akmadmin', details: { i } });
  return { dir, log };
}

const current = (dir: string) => path.join(auditDir(dir), AUDIT_FILE);
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').slice(0, -1);
const writeLines = (file: string, ls: string[]) => writeFileSync(file, ls.map((l) => `${l}\n`).join(''));
const kinds = (dir: string) => verifyAudit(dir).breaks.map((b) => b.kind);

describe('the audit chain', () => {
  it('is on disk, chained and intact once record returns', () => {
    const { dir } = withEntries(3);
    const stored = lines(current(dir)).map((l) => JSON.parse(l) as { seq: number; prev: string; hash: string; actor: string });
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(stored[1]!.prev).toBe(stored[0]!.hash);
    expect(stored[0]!.actor).toBe('akmadmin');
    expect(verifyAudit(dir)).toMatchObject({ intact: true, entries: 3, first: 1, last: 3, breaks: [] });
  });

  it('names the entry whose byte was edited', () => {
    const { dir } = withEntries(5);
    const ls = lines(current(dir));
    ls[2] = ls[2]!.replace('"outcome":"done"', '"outcome":"dono"');
    writeLines(current(dir), ls);
    const r = verifyAudit(dir);
    expect(r.intact).toBe(false);
    expect(r.breaks).toEqual([expect.objectContaining({ kind: 'altered', file: AUDIT_FILE, line: 3, seq: 3 })]);
    expect(r.breaks[0]!.text).toBe('Entry 3 (audit.log line 3) was altered: its content does not match its hash.');
  });

  it('says which entries a dropped line took, and where', () => {
    const { dir } = withEntries(5);
    const ls = lines(current(dir));
    ls.splice(1, 1);
    writeLines(current(dir), ls);
    expect(verifyAudit(dir).breaks).toEqual([expect.objectContaining({ kind: 'missing', line: 2, seq: 3, lost: { from: 2, to: 2 } })]);
  });

  it('sees reordered entries', () => {
    const { dir } = withEntries(5);
    const ls = lines(current(dir));
    [ls[1], ls[2]] = [ls[2]!, ls[1]!];
    writeLines(current(dir), ls);
    expect(kinds(dir)).toContain('out-of-order');
  });

  it('sees a log cut short, at a line boundary or in the middle of a line', () => {
    const { dir } = withEntries(5);
    const ls = lines(current(dir));
    writeLines(current(dir), ls.slice(0, 3));
    expect(verifyAudit(dir).breaks).toEqual([expect.objectContaining({ kind: 'end-missing', lost: { from: 4, to: 5 } })]);
    truncateSync(current(dir), readFileSync(current(dir)).length - 10);
    expect(verifyAudit(dir).breaks).toEqual([expect.objectContaining({ kind: 'end-missing', lost: { from: 3, to: 5 } })]);
  });

  it('keeps its evidence when a writer finds the log cut short: the gap stays, and an entry dates the finding', () => {
    const { dir, log } = withEntries(5);
    writeLines(current(dir), lines(current(dir)).slice(0, 3));
    log.record({ action: 'backup', outcome: 'done' });
    const r = verifyAudit(dir);
    expect(r.breaks.map((b) => [b.kind, b.lost])).toEqual([['missing', { from: 4, to: 5 }]]);
    expect(lines(current(dir)).map((l) => (JSON.parse(l) as { action: string }).action).slice(-2)).toEqual(['audit log damaged', 'backup']);
  });

  it('continues across rotation; files the size cap removes are said in the chain, a file someone deletes is not', () => {
    const limits = { maxFileBytes: 16 * 1024, maxTotalBytes: 32 * 1024 };
    const { dir } = withEntries(90, limits);
    const older = rotatedFiles(auditDir(dir));
    expect(older.length).toBeGreaterThanOrEqual(2);
    const r = verifyAudit(dir);
    expect(r.intact).toBe(true);
    expect(r.last).toBeGreaterThan(90); // 90 entries and the notes of each pruning
    expect(r.first).toBeGreaterThan(1); // the cap removed the oldest, and said so
    const total = readdirSync(auditDir(dir)).filter((f) => f.startsWith(AUDIT_FILE)).reduce((s, f) => s + readFileSync(path.join(auditDir(dir), f)).length, 0);
    expect(total).toBeLessThanOrEqual(limits.maxTotalBytes);

    rmSync(path.join(auditDir(dir), older[older.length - 1]!));
    expect(kinds(dir)).toEqual(['missing']);
    rmSync(path.join(auditDir(dir), older[0]!));
    expect(kinds(dir)).toEqual(['missing', 'start-missing']);
  });

  it('stays one chain when two processes write at once', async () => {
    const dir = dataDir();
    const script = `import { AuditLog } from ${JSON.stringify(path.join(PACKAGE_ROOT, 'dist/src/logs/audit.js'))};
      const log = new AuditLog(process.argv[1], { program: 'writer' + process.argv[2] });
      for (let i = 0; i < 40; i++) log.record({ action: 'keys generate', outcome: 'done', details: { i } });`;
    const run = (n: number) => new Promise<number | null>((resolve) => {
      spawn(process.execPath, ['--input-type=module', '-e', script, dir, String(n)], { stdio: 'inherit' }).on('exit', resolve);
    });
    expect(await Promise.all([run(1), run(2)])).toEqual([0, 0]);
    expect(verifyAudit(dir)).toMatchObject({ intact: true, entries: 80, last: 80 });
  });
});
