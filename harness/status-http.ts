/**
 * The status page over HTTPS as a script sees it (requests that trust only the appliance
 * CA, login, the event stream), shared by the tests and bench/status-page.ts.
 */
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/config/config.js';
import { STATUS_PAGE_LINE, type RunningQkmd } from './qkmd.js';

export interface WebAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** The status page of a running qkmd: its address and the appliance CA that signed its certificate. */
export interface StatusPageAt { base: string; ca: string }

export function statusPageOf(qkmd: RunningQkmd, dataDir: string): StatusPageAt {
  const m = STATUS_PAGE_LINE.exec(qkmd.output().stdout);
  if (!m) throw new Error(`qkmd did not say where its status page is: ${qkmd.output().stdout}`);
  return { base: `https://${m[1]}:${m[2]}`, ca: readFileSync(path.join(dataDir, 'tls', 'ca.pem'), 'utf8') };
}

/** One HTTPS request that trusts only the appliance CA (so the page's certificate is checked for real). */
export function web(at: StatusPageAt, pathname: string, o: { method?: string; cookie?: string; bearer?: string; form?: Record<string, string>; origin?: string } = {}): Promise<WebAnswer> {
  const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(new URL(pathname, at.base), {
      method: o.method ?? (body === undefined ? 'GET' : 'POST'), ca: at.ca,
      headers: {
        ...(o.cookie && { Cookie: o.cookie }),
        ...(o.bearer && { Authorization: `Bearer ${o.bearer}` }),
        ...(o.origin && { Origin: o.origin }),
        ...(body !== undefined && { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) }),
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Logs in with a password or a token and returns the session cookie (`name=value`). */
export async function logIn(at: StatusPageAt, form: { password?: string; token?: string }): Promise<string> {
  const r = await web(at, '/login', { form: form as Record<string, string> });
  if (r.status !== 303) throw new Error(`login answered ${r.status}: ${r.body}`);
  return String((r.headers['set-cookie'] as string[])[0]).split(';')[0]!;
}

/** The page's event stream: each `status` event's body, as it comes. */
export function watchEvents(at: StatusPageAt, cookie: string): { next(match: (html: string) => boolean, timeoutMs?: number): Promise<{ html: string; receivedAt: number }>; close(): void } {
  const seen: { html: string; receivedAt: number }[] = [];
  let wake: (() => void) | undefined;
  const req = request(new URL('/events', at.base), { ca: at.ca, headers: { Cookie: cookie, Accept: 'text/event-stream' } }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name === 'status' && data) seen.push({ html: (JSON.parse(data) as { html: string }).html, receivedAt: performance.now() });
        wake?.();
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return {
    async next(match, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const i = seen.findIndex((e) => match(e.html));
        if (i >= 0) return seen.splice(0, i + 1)[i]!;
        seen.length = 0;
        if (Date.now() > until) throw new Error('no matching status event came');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
    },
    close: () => req.destroy(),
  };
}

/** The state an LED has in a drawn body: `ledIn(html, 'serverError')` → 'on'. */
export function ledIn(html: string, id: string): string | undefined {
  return new RegExp(`data-led="${id.replace('.', '\\.')}" data-state="(\\w+)"`).exec(html)?.[1];
}

/** A check of a status document against schemas/status.schema.json: null when it holds, else what is wrong. */
export function statusSchemaProblems(): (doc: unknown) => string | null {
  const schema = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'schemas', 'status.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
  return (doc) => (validate(doc) ? null : JSON.stringify(validate.errors));
}
