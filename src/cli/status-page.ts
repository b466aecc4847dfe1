import { isQkmError } from '../errors.js';
import type { HardwareHost } from '../hardware/start.js';
import { ensureWebCredentials, tlsDirOf } from '../pki/index.js';
import { WebAccess } from '../web/access.js';
import { type WebServer, startWebServer } from '../web/server.js';
import type { Context } from './context.js';
import type { QkmMetrics } from '../metrics/index.js';
import type { StatusSource } from './status-source.js';

/**
 * qkmd's status page, when [web] enabled says so: its own certificate from the appliance
 * CA, then the HTTPS server. Whatever stops the page (a taken port, most often) is said in
 * one sentence and qkmd runs on without it (the key server matters more); the sentence is returned.
 */
export async function startStatusPage(ctx: Context, status: StatusSource, hardware: HardwareHost, metrics: Pick<QkmMetrics, 'render'>): Promise<WebServer | string> {
  const { host, port } = ctx.config.web;
  const altNames = ['localhost', '127.0.0.1', '::1', ...(host !== '0.0.0.0' && host !== '::' && host !== 'localhost' && host !== '127.0.0.1' ? [host] : [])];
  const creds = await ensureWebCredentials(tlsDirOf(ctx.config.paths.data_dir), { hostname: ctx.config.server.hostname, altNames, now: new Date(ctx.world.now()) });
  if (creds.issued) ctx.log.info({ reason: creds.issued }, 'status page certificate issued');
  const access = new WebAccess({ dataDir: ctx.config.paths.data_dir, now: ctx.world.now, audit: (fields) => void ctx.audit.record(fields) });
  try {
    const web = await startWebServer({
      host, port, certPem: creds.certPem, keyPem: creds.keyPem, access, log: ctx.log,
      document: () => status.document(),
      // Prometheus scrapes with a viewer token as its bearer token.
      extraRoutes: {
        '/metrics': async (res) => {
          const { contentType, body } = await metrics.render();
          res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
          res.end(body);
        },
      },
    });
    const unsubscribe = hardware.agent?.onPass(() => web.changed());
    ctx.log.info({ host, port: web.port }, 'status page listening');
    return { ...web, close: async () => { unsubscribe?.(); await web.close(); } };
  } catch (e) {
    // The page is a view: whatever stops it, the key server runs on.
    ctx.log.error({ err: e }, 'status page not started');
    return isQkmError(e) ? e.message : `it failed to start (${(e as Error).message}); qkmd's log has the details.`;
  }
}
