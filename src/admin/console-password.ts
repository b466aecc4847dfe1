import { scrypt, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { World } from '../engine/index.js';
import { QkmError } from '../errors.js';
import { writeFileDurable } from '../util/durable-file.js';

/** The console's one account, and the password it has until the administrator changes it. */
export const CONSOLE_USER = 'akmadmin';
export const DEFAULT_PASSWORD = 'password';
export const PASSWORD_MIN = 8;

/**
 * scrypt's cost: N = 2^15, r = 8 takes 32 MiB and about 100 ms of one core here, so a
 * guesser who steals the hash pays that per guess (bench/console-login.ts measures it).
 */
export interface ScryptCost { N: number; r: number; p: number }
export const SCRYPT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };

interface StoredPassword extends ScryptCost {
  algorithm: 'scrypt';
  salt: string;
  hash: string;
  changedAt: string;
}

/** Kept out of the backup (which takes only the keystore's own files) and owner-only. */
export const consoleDir = (dataDir: string): string => path.join(dataDir, 'console');
const passwordFile = (dataDir: string) => path.join(consoleDir(dataDir), `${CONSOLE_USER}.scrypt.json`);
const failuresFile = (dataDir: string) => path.join(consoleDir(dataDir), 'login-failures');

export function hashPassword(password: string, salt: Buffer, cost: ScryptCost = SCRYPT_COST): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, 32, { ...cost, maxmem: 256 * cost.N * cost.r }, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

/** Whether `typed` is the console password (the default one until it is changed). */
export async function passwordMatches(dataDir: string, typed: string): Promise<boolean> {
  const file = passwordFile(dataDir);
  if (!existsSync(file)) return typed === DEFAULT_PASSWORD;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredPassword;
  const expected = Buffer.from(stored.hash, 'base64');
  const got = await hashPassword(typed, Buffer.from(stored.salt, 'base64'), stored);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export const isDefaultPassword = (dataDir: string): boolean => !existsSync(passwordFile(dataDir));

/** Refuses a password too short to be worth a slow hash; says so before anything is staged. */
export function checkNewPassword(password: string): void {
  if ([...password].length < PASSWORD_MIN) {
    throw new QkmError('CONSOLE_PASSWORD_SHORT', `A password must have at least ${PASSWORD_MIN} characters; choose a longer one.`, { params: { min: PASSWORD_MIN } });
  }
}

/** Stores only a salted scrypt hash, replacing the old one in one atomic step. */
export async function setPassword(dataDir: string, password: string, world: World): Promise<void> {
  checkNewPassword(password);
  const salt = world.randomBytes(16);
  const hash = await hashPassword(password, salt);
  const stored: StoredPassword = { algorithm: 'scrypt', ...SCRYPT_COST, salt: salt.toString('base64'), hash: hash.toString('base64'), changedAt: new Date(world.now()).toISOString() };
  writeFileDurable(passwordFile(dataDir), `${JSON.stringify(stored)}\n`, 0o600);
}

/**
 * Wrong passwords in a row, across sessions (a new session must not reset the wait), and
 * the wait before the next try: 0 after the first, then 1, 2, 4 ... seconds up to 30, so
 * ten wrong passwords in a row take more than a minute.
 */
export function loginFailures(dataDir: string): number {
  try {
    return Number.parseInt(readFileSync(failuresFile(dataDir), 'utf8'), 10) || 0;
  } catch {
    return 0;
  }
}

export const loginDelayMs = (failures: number): number => (failures <= 1 ? 0 : Math.min(2 ** (failures - 2), 30) * 1000);

export function recordLogin(dataDir: string, ok: boolean): number {
  if (ok) {
    rmSync(failuresFile(dataDir), { force: true });
    return 0;
  }
  const failures = loginFailures(dataDir) + 1;
  writeFileDurable(failuresFile(dataDir), `${failures}\n`, 0o600);
  return failures;
}
