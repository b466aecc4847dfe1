/**
 * Who may look at the status page: akmadmin with the console's password (the same
 * scrypt check and the same growing wait after wrong ones, counted across the console
 * and the page), or anyone holding a viewer token. Either gets a session cookie; a token
 * also works alone as `Authorization: Bearer` for scripts. Nothing here grants a write:
 * the page has none to grant.
 */
import { randomBytes } from 'node:crypto';
import { CONSOLE_USER, loginDelayMs, loginFailures, passwordMatches, recordLogin } from '../admin/console-password.js';
import type { AuditFields } from '../logs/audit-chain.js';
import { matchViewerToken, viewerTokenExists } from './viewer-tokens.js';

export type Viewer = { kind: 'admin' } | { kind: 'viewer'; tokenId: string; name: string };

export const SESSION_COOKIE = 'qkm_session';
/** A session not used for this long ends (the page's event stream keeps an open one in use). */
const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** The most sessions held at once; past it the least recently used one ends. */
const MAX_SESSIONS = 256;

export type LoginResult =
  | { ok: true; sessionId: string; who: Viewer }
  | { ok: false; status: 401 | 429; sentence: string };

export interface AccessOptions {
  dataDir: string;
  now: () => number;
  audit: (fields: AuditFields) => void;
}

export class WebAccess {
  private readonly sessions = new Map<string, { who: Viewer; usedAt: number }>();
  /** No password is tried before this time (the back-off after wrong ones). */
  private nextTryAt: number;
  /** Password checks run one at a time, so a burst of guesses cannot skip the wait. */
  private checking: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: AccessOptions) {
    // Wrong passwords before a restart (here or at the console) still count: a restart is no way around the wait.
    this.nextTryAt = o.now() + loginDelayMs(loginFailures(o.dataDir));
  }

  /** A login from the form: a password, or a viewer token. */
  logIn(form: { password?: string; token?: string }, from: string): Promise<LoginResult> {
    if (form.token) return Promise.resolve(this.tokenLogIn(form.token, from));
    const turn = this.checking.then(() => this.passwordLogIn(form.password ?? '', from));
    this.checking = turn.catch(() => undefined);
    return turn;
  }

  private async passwordLogIn(password: string, from: string): Promise<LoginResult> {
    const now = this.o.now();
    if (now < this.nextTryAt) {
      const seconds = Math.ceil((this.nextTryAt - now) / 1000);
      this.o.audit({ action: 'status page login', outcome: 'refused', actor: CONSOLE_USER, details: { from, reason: 'too soon after wrong passwords', waitSeconds: seconds } });
      return { ok: false, status: 429, sentence: `Wait ${seconds} s before trying again: the last passwords were wrong.` };
    }
    const ok = await passwordMatches(this.o.dataDir, password);
    const failures = recordLogin(this.o.dataDir, ok);
    this.nextTryAt = this.o.now() + loginDelayMs(failures);
    this.o.audit({ action: 'status page login', outcome: ok ? 'done' : 'refused', actor: CONSOLE_USER, details: ok ? { from } : { from, reason: 'wrong password', failuresInARow: failures } });
    if (!ok) return { ok: false, status: 401, sentence: `Wrong password for ${CONSOLE_USER}.` };
    return { ok: true, sessionId: this.startSession({ kind: 'admin' }), who: { kind: 'admin' } };
  }

  private tokenLogIn(token: string, from: string): LoginResult {
    const t = matchViewerToken(this.o.dataDir, token.trim());
    this.o.audit({ action: 'status page login', outcome: t ? 'done' : 'refused', actor: t ? `viewer:${t.name}` : 'viewer', details: t ? { from, token: t.id } : { from, reason: 'unknown or revoked viewer token' } });
    if (!t) return { ok: false, status: 401, sentence: 'That viewer token is not known here (mistyped, or revoked); ask the administrator for a new one.' };
    const who: Viewer = { kind: 'viewer', tokenId: t.id, name: t.name };
    return { ok: true, sessionId: this.startSession(who), who };
  }

  private startSession(who: Viewer): string {
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { who, usedAt: this.o.now() });
    return id;
  }

  /** Who sent a request: its session cookie, or its bearer token; null for nobody known. */
  whoIs(headers: { cookie?: string; authorization?: string }): Viewer | null {
    const bearer = /^Bearer (\S+)$/i.exec(headers.authorization ?? '')?.[1];
    if (bearer) {
      const t = matchViewerToken(this.o.dataDir, bearer);
      return t ? { kind: 'viewer', tokenId: t.id, name: t.name } : null;
    }
    const id = sessionIdOf(headers.cookie);
    const s = id === undefined ? undefined : this.sessions.get(id);
    if (!s || id === undefined) return null;
    const now = this.o.now();
    const revoked = s.who.kind === 'viewer' && !viewerTokenExists(this.o.dataDir, s.who.tokenId);
    if (revoked || now - s.usedAt > SESSION_IDLE_MS) {
      this.sessions.delete(id);
      return null;
    }
    // Re-inserted, so the map's order is least recently used first.
    this.sessions.delete(id);
    this.sessions.set(id, { who: s.who, usedAt: now });
    return s.who;
  }

  logOut(cookie: string | undefined): void {
    const id = sessionIdOf(cookie);
    if (id !== undefined) this.sessions.delete(id);
  }
}

export function sessionIdOf(cookie: string | undefined): string | undefined {
  for (const part of (cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === SESSION_COOKIE && value) return value;
  }
  return undefined;
}

/** The cookie that carries a session: never readable by scripts, sent over HTTPS only, and never from another site. */
export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

export const ENDED_COOKIE = `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
