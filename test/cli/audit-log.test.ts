import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_PASSPHRASE, initBackupKey } from '../helpers/backup-key.js';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';

let dir: string;
const run = (...args: string[]) => qkmcmds(['--data-dir', dir, ...args]);
const auditFile = () => path.join(dir, 'logs', 'audit.log');

beforeAll(async () => {
  dir = tempDir('qkm-audit-cli-');
  const d = await startQkmd(['--data-dir', dir]);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});
afterAll(() => removeDir(dir));

it('records every command that changes something, refused ones too, in a chain audit verify follows; one edited byte is named', () => {
  expect(run('keys', 'generate', '--library', 'LIB1', '--class', 'i500').code).toBe(0);
  expect(run('backup').code).toBe(1); // no backup key yet
  initBackupKey(dir);
  expect(run('backup').code).toBe(0);
  expect(run('certs', 'library-bundle', '--library', 'LIB1', '--out', path.join(dir, 'LIB1.tgz')).code).toBe(0);
  expect(run('certs', 'revoke', '--library', 'LIB1').code).toBe(0);
  expect(run('keys', 'status').code).toBe(0); // reads only: not recorded

  const verified = run('audit', 'verify', '--json');
  expect(verified.code, verified.stderr).toBe(0);
  expect(JSON.parse(verified.stdout)).toMatchObject({ intact: true, entries: 6, breaks: [] });
  const entries = readFileSync(auditFile(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string; details: Record<string, unknown> });
  expect(entries.map((e) => [e.action, e.outcome])).toEqual([
    ['keys generate', 'done'], ['backup', 'refused'], ['backup-key init', 'done'], ['backup', 'done'],
    ['certs library-bundle', 'done'], ['certs revoke', 'done'],
  ]);
  expect(entries[0]!.details).toMatchObject({ options: { library: 'LIB1', class: 'i500' }, generated: 1024 });
  expect(entries[1]!.details).toMatchObject({ error: 'BACKUP_KEY_MISSING' });
  expect(readFileSync(auditFile(), 'utf8')).not.toContain(TEST_PASSPHRASE);
  expect(run('audit', 'verify').stdout).toBe('Audit chain intact: entries 1 to 6 in 1 file(s).\n');

  const lines = readFileSync(auditFile(), 'utf8').split('\n');
  lines[3] = lines[3]!.replace('"keys":1024', '"keys":1023');
  writeFileSync(auditFile(), lines.join('\n'));
  const broken = run('audit', 'verify');
  expect(broken.code).toBe(1);
  expect(broken.stdout).toMatch(/^BROKEN: Entry 4 \(audit\.log line 4\) was altered: its content does not match its hash\.$/m);
});
