import { chmodSync, lstatSync, unlinkSync, type Stats } from 'node:fs';
import net from 'node:net';
import { QkmError } from '../errors.js';
import type { Logger } from '../logs/logger.js';
import { MAX_LINE, fittingSocketPath, parseRequest, type ControlReply, type ControlRequest } from './protocol.js';

/** What a handler returns: the reply, and optionally something to do once it is sent. */
export interface Handled {
  reply: ControlReply;
  afterReply?: () => void;
}

export type ControlHandler = (req: ControlRequest) => Promise<Handled>;

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/** True if something answers on the socket (another qkmd); false for a file left by a dead one. */
function answers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(file);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

async function clearStale(file: string): Promise<void> {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) {
    throw new QkmError('CONTROL_SOCKET_BLOCKED', `${file} exists and is not a socket; move it away and start qkmd again.`);
  }
  if (await answers(file)) {
    throw new QkmError('CONTROL_SOCKET_IN_USE', `Another qkmd answers on ${file}; stop it first or give another --data-dir.`);
  }
  unlinkSync(file); // left by a qkmd that was killed (or lost power)
}

/**
 * Listens on <data_dir>/qkmd.sock, owner-only. The socket is created under a 0177 umask
 * so it is never, even for an instant, open to others; chmod afterwards is belt and braces.
 */
export async function startControlServer(dataDir: string, handle: ControlHandler, log: Logger): Promise<ControlServer> {
  const file = fittingSocketPath(dataDir);
  await clearStale(file);
  const conns = new Set<net.Socket>();
  const server = net.createServer((c) => serve(c, handle, log, conns));
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new QkmError('CONTROL_SOCKET_FAILED', `qkmd cannot listen on ${file} (${code ?? 'error'}); check that the data directory is writable and its path is short enough for a socket.`, { cause: e });
  } finally {
    process.umask(old);
  }
  try {
    chmodSync(file, 0o600);
  } catch (e) {
    server.close(); // a listening server would keep qkmd alive after a failed start
    throw e;
  }
  log.info({ socket: file }, 'control socket listening');
  return {
    path: file,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        server.close(() => resolve());
      }),
  };
}

function serve(c: net.Socket, handle: ControlHandler, log: Logger, conns: Set<net.Socket>): void {
  conns.add(c);
  c.on('close', () => conns.delete(c));
  c.on('error', () => c.destroy());
  c.setEncoding('utf8');
  let buf = '';
  let queue = Promise.resolve();
  c.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE && !buf.includes('\n')) {
      c.end(`${JSON.stringify({ ok: false, code: 'BAD_REQUEST', message: 'The request is too long.' })}\n`);
      return;
    }
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      // One reply per request, in order, even if a later request is quicker.
      queue = queue.then(() => answer(c, line, handle, log));
    }
  });
}

async function answer(c: net.Socket, line: string, handle: ControlHandler, log: Logger): Promise<void> {
  const req = parseRequest(line);
  let handled: Handled;
  if ('error' in req) {
    handled = { reply: { ok: false, code: 'BAD_REQUEST', message: `qkmd did not understand the request (${req.error}).` } };
  } else {
    try {
      handled = await handle(req);
    } catch (e) {
      log.error({ err: e, req }, 'control request failed');
      handled = { reply: { ok: false, code: 'INTERNAL', message: `qkmd failed to handle the request (${(e as Error).message}); see its log.` } };
    }
  }
  log.trace({ request: 'error' in req ? 'unreadable' : req, ok: handled.reply.ok }, 'control request');
  if (c.destroyed) return;
  c.write(`${JSON.stringify(handled.reply)}\n`, () => handled.afterReply?.());
}
