import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningQkmd, startQkmdProcess } from '../../harness/qkmd.js';
import { qkmcmds } from '../helpers/cli.js';
import { type StatusPageAt, ledIn, logIn, statusPageOf, statusSchemaProblems, watchEvents, web } from '../../harness/status-http.js';

const schemaProblems = statusSchemaProblems();

let dir: string;
let qkmd: RunningQkmd;
let at: StatusPageAt;
const env = () => ({ QKM_PATHS_DATA_DIR: dir, QKM_SIM_REBUILD_SECONDS: '30', QKM_SIM_REBUILD_START_SECONDS: '1' });
const cli = (...args: string[]) => qkmcmds(args, env());
/** A document without the times of its drawing and of the agent's last pass, which a second look may move on. */
const withoutTime = (doc: Record<string, unknown>) => {
  const hardware = doc.hardware as { agent: Record<string, unknown> };
  return { ...doc, at: '', hardware: { ...hardware, agent: { ...hardware.agent, at: 0 } } };
};
const auditLines = () => readFileSync(path.join(dir, 'logs', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string; details?: Record<string, unknown> });

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'qkm-web-'));
  qkmd = await startQkmdProcess({ args: [], env: env(), timeoutMs: 30_000 });
  at = statusPageOf(qkmd, dir);
}, 40_000);

afterAll(async () => {
  await qkmd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the status page', () => {
  it("is served over TLS with its own certificate from the appliance CA, not the key server's", async () => {
    const cert = await new Promise<X509Certificate>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: Number(new URL(at.base).port), ca: at.ca, servername: 'localhost' }, () => {
        resolve(new X509Certificate(s.getPeerCertificate(true).raw));
        s.end();
      });
      s.on('error', reject);
    });
    expect(cert.checkIssued(new X509Certificate(at.ca))).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.fingerprint256).toBe(new X509Certificate(readFileSync(path.join(dir, 'tls', 'web.pem'))).fingerprint256);
    expect(cert.fingerprint256).not.toBe(new X509Certificate(readFileSync(path.join(dir, 'tls', 'server.pem'))).fingerprint256);
  });

  it('asks who you are before showing anything, and answers an unknown path or method with one sentence', async () => {
    expect(await web(at, '/')).toMatchObject({ status: 303, headers: { location: '/login' } });
    const json = await web(at, '/status.json');
    expect(json.status).toBe(401);
    expect(JSON.parse(json.body).error).toMatch(/^Log in first/);
    expect((await web(at, '/events')).status).toBe(401);
    const missing = await web(at, '/tls/server.key');
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('There is nothing at /tls/server.key on this status page; the page itself is at /.\n');
    const wrongMethod = await web(at, '/status.json', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).not.toMatch(/\n\s+at /);
    expect((await web(at, '/login', { form: { password: 'password' }, origin: 'https://elsewhere.example' })).status).toBe(403);
  });

  it('refuses a wrong password, makes the next try wait (shared with the console), audits each, then logs in with the right one', async () => {
    const first = await web(at, '/login', { form: { password: 'wrong-one' } });
    expect(first.status).toBe(401);
    expect(first.body).toContain('Wrong password for akmadmin.');
    expect((await web(at, '/login', { form: { password: 'wrong-two' } })).status).toBe(401);
    // Two wrong in a row: the next try waits a second, even with the right password.
    const tooSoon = await web(at, '/login', { form: { password: 'password' } });
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.body).toMatch(/Wait 1 s before trying again/);
    expect(readFileSync(path.join(dir, 'console', 'login-failures'), 'utf8').trim()).toBe('2');
    await new Promise((r) => setTimeout(r, 1100));
    const ok = await web(at, '/login', { form: { password: 'password' } });
    expect(ok.status).toBe(303);
    expect(ok.headers['set-cookie']![0]).toMatch(/^qkm_session=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const logins = auditLines().filter((l) => l.action === 'status page login').map((l) => [l.outcome, l.details?.reason ?? null]);
    expect(logins).toEqual([['refused', 'wrong password'], ['refused', 'wrong password'], ['refused', 'too soon after wrong passwords'], ['done', null]]);
  });

  it('serves the same document as qkmcmds status --json, valid against schemas/status.schema.json', async () => {
    const cookie = await logIn(at, { password: 'password' });
    const page = await web(at, '/status.json', { cookie });
    expect(page.status).toBe(200);
    const doc = JSON.parse(page.body) as Record<string, unknown>;
    expect(schemaProblems(doc)).toBeNull();
    const printed = cli('status', '--json');
    expect(printed.code).toBe(0);
    expect(withoutTime(JSON.parse(printed.stdout))).toEqual(withoutTime(doc));
    const summary = cli('status');
    expect(summary.stdout).toMatch(/^RAID md0: clean, 2 of 2 in sync$/m);
  });

  it('lets a viewer token in (cookie or bearer, for the page, status.json and /metrics) until it is revoked, and refuses a wrong one', async () => {
    const made = cli('status-token', 'create', 'nagios');
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^qkmv_[\w-]{43}$/);
    expect(readFileSync(path.join(dir, 'web', 'viewer-tokens.json'), 'utf8')).not.toContain(token);
    expect((await web(at, '/status.json', { bearer: token })).status).toBe(200);
    // Prometheus scrapes /metrics the same way, with the token as its bearer token.
    const scraped = await web(at, '/metrics', { bearer: token });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toMatch(/^# TYPE qkm_tls_refusals_total counter$/m);
    expect(scraped.body).toMatch(/^qkm_disk_present\{bay="0"\} 1$/m);
    expect((await web(at, '/metrics')).status).toBe(401);
    const cookie = await logIn(at, { token });
    expect((await web(at, '/status.json', { cookie })).status).toBe(200);
    expect((await web(at, '/status.json', { bearer: `${token}x` })).status).toBe(401);
    const wrong = await web(at, '/login', { form: { token: 'qkmv_nothing' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That viewer token is not known here');
    expect(cli('status-token', 'list').stdout).toMatch(/nagios/);
    expect(cli('status-token', 'revoke', 'nagios').code).toBe(0);
    expect((await web(at, '/status.json', { bearer: token })).status).toBe(401);
    expect((await web(at, '/metrics', { bearer: token })).status).toBe(401);
    expect((await web(at, '/status.json', { cookie })).status).toBe(401);
    const again = cli('status-token', 'revoke', 'nagios');
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toBe('qkmcmds: There is no viewer token with the id or name nagios; nothing was revoked ("qkmcmds status-token list" shows them).\n');
  });

  it('sends the panel as it changes by server-sent events: a pulled disk lights the server error LED', async () => {
    const cookie = await logIn(at, { password: 'password' });
    const events = watchEvents(at, cookie);
    try {
      const first = await events.next(() => true);
      expect(ledIn(first.html, 'serverError')).toBe('off');
      expect(cli('sim', 'pull-disk', '1').code).toBe(0);
      const pulled = await events.next((html) => ledIn(html, 'serverError') === 'on');
      expect(pulled.html).toContain('hw:disk-missing:bay1');
      expect(ledIn(pulled.html, 'bay1.activity')).toBe('off');
    } finally {
      events.close();
    }
  });

  it('leaves a second qkmd running without a page when the port is taken, saying so in one line; qkmcmds status without qkmd says so too', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'qkm-web-second-'));
    try {
      const second = await startQkmdProcess({ args: [], env: { QKM_PATHS_DATA_DIR: other, QKM_WEB_PORT: new URL(at.base).port }, timeoutMs: 30_000 });
      const said = second.output().stdout;
      await second.stop();
      expect(said).toContain(`status page not started: The status page cannot listen on 127.0.0.1:${new URL(at.base).port} (the port is taken); set [web] port (or QKM_WEB_PORT) to a free port, or 0 for any.`);
      expect(said).toMatch(/^key server listening on /m);
      const none = qkmcmds(['status'], { QKM_PATHS_DATA_DIR: other });
      expect(none.code).toBe(1);
      expect(none.stderr).toBe(`qkmcmds: qkmd is not running on ${other}; start it (qkmd, or npm start) and try again.\n`);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
