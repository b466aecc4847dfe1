/**
 * The status page's HTTPS server. Read-only by construction: the only routes that take a
 * POST are login and logout, and none reaches a key, a secret or anything that writes
 * (the status document holds none). Every unknown path is a plain 404 sentence; a
 * failure is one sentence to the browser and its stack to the log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { QkmError } from '../errors.js';
import type { Logger } from '../logs/logger.js';
import type { StatusDocument } from '../status/document.js';
import { STATUS_PAGE_JS } from './assets/script.js';
import { STATUS_PAGE_CSS } from './assets/style.js';
import { ENDED_COOKIE, type Viewer, type WebAccess, sessionCookie } from './access.js';
import { StatusFeed } from './feed.js';
import { loginPage, statusPage } from './pages.js';

/** A login form is a password or a token: anything longer is not one. */
const MAX_FORM_BYTES = 4096;

export interface WebServerOptions {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  access: WebAccess;
  document: () => StatusDocument;
  log: Logger;
  /**
   * More read-only GET routes, by path, answered after the viewer is checked (the
   * Prometheus exposition, GET /metrics, is mounted here from src/metrics).
   */
  extraRoutes?: Record<string, (res: ServerResponse, who: Viewer) => void | Promise<void>>;
}

export interface WebServer {
  host: string;
  port: number;
  /** Draws the document again and tells the watching pages if it changed. */
  changed(): void;
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the login form's POST.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': `${type}; charset=utf-8`, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const redirect = (res: ServerResponse, to: string, headers: Record<string, string> = {}) => {
  res.writeHead(303, { Location: to, 'Content-Length': 0, ...headers });
  res.end();
};

function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_FORM_BYTES) {
        resolve(null);
        req.destroy();
      }
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

/** A POST from another site's page (its Origin names another host) is refused: only this page logs in and out. */
function fromThisPage(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const assets: Record<string, { type: string; body: string }> = {
    '/assets/status-page.css': { type: 'text/css', body: STATUS_PAGE_CSS },
    '/assets/status-page.js': { type: 'text/javascript', body: STATUS_PAGE_JS },
  };
  const feed = new StatusFeed(o.document, (e) => o.log.error({ err: e }, 'the status page could not draw the status'));
  const who = (req: IncomingMessage) => o.access.whoIs({ cookie: req.headers.cookie, authorization: req.headers.authorization });
  const notLoggedIn = (res: ServerResponse) => send(res, 401, 'application/json', `${JSON.stringify({ error: 'Log in first: give akmadmin\'s password or a viewer token at /login, or send a viewer token as "Authorization: Bearer".' })}\n`);

  const get: Record<string, Route> = {
    '/': (req, res) => (who(req) ? send(res, 200, 'text/html', statusPage(o.document())) : redirect(res, '/login')),
    '/login': (_req, res) => send(res, 200, 'text/html', loginPage()),
    '/status.json': (req, res) => (who(req) ? send(res, 200, 'application/json', `${JSON.stringify(o.document(), null, 2)}\n`) : notLoggedIn(res)),
    '/events': (req, res) => (who(req) ? feed.watch(res) : notLoggedIn(res)),
  };
  for (const [p, a] of Object.entries(assets)) get[p] = (_req, res) => send(res, 200, a.type, a.body);
  for (const [p, route] of Object.entries(o.extraRoutes ?? {})) {
    get[p] = async (req, res) => {
      const viewer = who(req);
      if (!viewer) return notLoggedIn(res);
      await route(res, viewer);
    };
  }
  const post: Record<string, Route> = {
    '/login': async (req, res) => {
      const form = await readForm(req);
      if (!form) return send(res, 413, 'text/html', loginPage('That form is too long to be a password or a token.'));
      const r = await o.access.logIn({ password: form.get('password') ?? undefined, token: form.get('token') ?? undefined }, req.socket.remoteAddress ?? 'unknown');
      if (!r.ok) return send(res, r.status, 'text/html', loginPage(r.sentence));
      redirect(res, '/', { 'Set-Cookie': sessionCookie(r.sessionId) });
    },
    '/logout': (req, res) => {
      o.access.logOut(req.headers.cookie);
      redirect(res, '/login', { 'Set-Cookie': ENDED_COOKIE });
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'https://status.invalid');
    // HEAD is a GET without its body, except on the event stream, which has no end to leave off.
    const method = req.method === 'HEAD' && url.pathname !== '/events' ? 'GET' : req.method;
    const route = method === 'GET' ? get[url.pathname] : method === 'POST' ? post[url.pathname] : undefined;
    if (route) {
      if (method === 'POST' && !fromThisPage(req)) return send(res, 403, 'text/plain', 'A login or logout is taken only from this status page.\n');
      return route(req, res);
    }
    const allowed = [get[url.pathname] && 'GET', post[url.pathname] && 'POST'].filter(Boolean).join(', ');
    if (allowed) return send(res, 405, 'text/plain', `${url.pathname} answers ${allowed} only; the status page changes nothing.\n`, { Allow: allowed });
    send(res, 404, 'text/plain', `There is nothing at ${url.pathname} on this status page; the page itself is at /.\n`);
  };

  const server = createServer({ cert: o.certPem, key: o.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      o.log.error({ err: e, url: req.url }, 'the status page failed to answer');
      if (!res.headersSent) send(res, 500, 'text/plain', 'qkmd could not answer this request; its log says why.\n');
      else res.destroy();
    });
  });
  server.on('tlsClientError', (e) => o.log.debug({ err: e }, 'status page: TLS handshake refused'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const address = `${o.host}:${o.port}`;
      const reason = e.code === 'EADDRINUSE' ? 'the port is taken' : e.code === 'EACCES' ? 'not allowed to use the port' : (e.code ?? e.message);
      reject(new QkmError('WEB_LISTEN', `The status page cannot listen on ${address} (${reason}); set [web] port (or QKM_WEB_PORT) to a free port, or 0 for any.`, { params: { address, reason }, cause: e }));
    });
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: o.host,
    port: address.port,
    changed: () => feed.look(),
    close: () =>
      new Promise<void>((resolve) => {
        feed.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
