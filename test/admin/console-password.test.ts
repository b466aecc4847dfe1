import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { consoleDir, isDefaultPassword, loginDelayMs, loginFailures, passwordMatches, recordLogin, setPassword } from '../../src/admin/console-password.js';
import { isQkmError } from '../../src/errors.js';
import { removeDir, tempDir, testWorld } from '../helpers/engine.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('qkm-console-pw-');
});
afterEach(() => removeDir(dir));

it('the default password until it is changed; then only a salted scrypt hash, owner-only, is kept', async () => {
  expect(isDefaultPassword(dir)).toBe(true);
  expect(await passwordMatches(dir, 'password')).toBe(true);
  await setPassword(dir, 'tape-vault-42', testWorld());
  expect(await passwordMatches(dir, 'password')).toBe(false);
  expect(await passwordMatches(dir, 'tape-vault-42')).toBe(true);
  const [file] = readdirSync(consoleDir(dir));
  const text = readFileSync(path.join(consoleDir(dir), file!), 'utf8');
  expect(text).not.toContain('tape-vault-42');
  expect(JSON.parse(text)).toMatchObject({ algorithm: 'scrypt', N: 2 ** 15, r: 8, p: 1 });
  expect(statSync(path.join(consoleDir(dir), file!)).mode & 0o777).toBe(0o600);
  const short = await setPassword(dir, 'short', testWorld()).catch((e: unknown) => e);
  expect(isQkmError(short) && short.code).toBe('CONSOLE_PASSWORD_SHORT');
  expect(await passwordMatches(dir, 'tape-vault-42')).toBe(true);
});

it('wrong passwords in a row are counted across sessions and make the next try wait longer; ten take over a minute', () => {
  for (let i = 1; i <= 3; i++) expect(recordLogin(dir, false)).toBe(i);
  expect(loginFailures(dir)).toBe(3);
  expect(loginDelayMs(loginFailures(dir))).toBe(2000);
  recordLogin(dir, true);
  expect(loginFailures(dir)).toBe(0);
  let waited = 0;
  for (let failures = 1; failures < 10; failures++) waited += loginDelayMs(failures);
  expect(waited).toBeGreaterThanOrEqual(60_000);
});

