/**
 * Read-only viewer tokens for the status page (and scripts reading /status.json): made
 * and revoked by the administrator, stored only as SHA-256 hashes. A token is 32 random
 * bytes, so a plain hash is as hard to reverse as the token is to guess; no slow hash is
 * needed (unlike a password a person chose).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { World } from '../engine/index.js';
import { QkmError } from '../errors.js';
import { writeFileDurable } from '../util/durable-file.js';

export interface ViewerToken {
  /** The first hex digits of the token's hash: how `list` and `revoke` name it. */
  id: string;
  name: string;
  createdAt: string;
}

interface StoredToken extends ViewerToken {
  sha256: string;
}

const PREFIX = 'qkmv_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

const tokensFile = (dataDir: string) => path.join(dataDir, 'web', 'viewer-tokens.json');
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

function readTokens(dataDir: string): StoredToken[] {
  try {
    return (JSON.parse(readFileSync(tokensFile(dataDir), 'utf8')) as { tokens: StoredToken[] }).tokens;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function writeTokens(dataDir: string, tokens: StoredToken[]): void {
  mkdirSync(path.dirname(tokensFile(dataDir)), { recursive: true, mode: 0o700 });
  writeFileDurable(tokensFile(dataDir), `${JSON.stringify({ tokens }, null, 1)}\n`, 0o600);
}

const shown = ({ sha256: _hash, ...t }: StoredToken): ViewerToken => t;

export function listViewerTokens(dataDir: string): ViewerToken[] {
  return readTokens(dataDir).map(shown);
}

/** Makes a token named `name`; the token itself is returned once and never stored. */
export function createViewerToken(dataDir: string, name: string, world: World): ViewerToken & { token: string } {
  if (!NAME.test(name)) {
    throw new QkmError('STATUS_TOKEN_NAME', `"${name}" is not a usable token name; use 1 to 64 letters, digits, spaces, dots, hyphens or underscores, starting with a letter or digit.`, { params: { name } });
  }
  const tokens = readTokens(dataDir);
  if (tokens.some((t) => t.name === name)) {
    throw new QkmError('STATUS_TOKEN_EXISTS', `A viewer token named ${name} exists already; choose another name, or revoke that one first.`, { params: { name } });
  }
  const token = PREFIX + world.randomBytes(32).toString('base64url');
  const sha256 = digest(token);
  const made: StoredToken = { id: sha256.slice(0, 12), name, createdAt: new Date(world.now()).toISOString(), sha256 };
  writeTokens(dataDir, [...tokens, made]);
  return { ...shown(made), token };
}

/** Removes the token with this id or name; the page refuses it from the next request on. */
export function revokeViewerToken(dataDir: string, idOrName: string): ViewerToken {
  const tokens = readTokens(dataDir);
  const gone = tokens.find((t) => t.id === idOrName || t.name === idOrName);
  if (!gone) throw new QkmError('STATUS_TOKEN_UNKNOWN', `There is no viewer token with the id or name ${idOrName}; nothing was revoked.`, { params: { token: idOrName } });
  writeTokens(dataDir, tokens.filter((t) => t !== gone));
  return shown(gone);
}

/** The stored token `token` is, or null (unknown, revoked, or not a token at all). */
export function matchViewerToken(dataDir: string, token: string): ViewerToken | null {
  if (!token.startsWith(PREFIX) || token.length > 100) return null;
  const got = Buffer.from(digest(token), 'hex');
  const hit = readTokens(dataDir).find((t) => timingSafeEqual(Buffer.from(t.sha256, 'hex'), got));
  return hit ? shown(hit) : null;
}

/** Whether a token with this id is still there (a session made with it ends when it is revoked). */
export function viewerTokenExists(dataDir: string, id: string): boolean {
  return readTokens(dataDir).some((t) => t.id === id);
}
