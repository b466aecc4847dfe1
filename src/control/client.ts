import net from 'node:net';
import { QkmError } from '../errors.js';
import { fittingSocketPath, type ControlReply, type ControlRequest } from './protocol.js';

/**
 * Sends one request to the qkmd of `dataDir` and returns its result. Every way of not
 * reaching it becomes one sentence: qkmd is not running, or it did not answer.
 */
export function controlRequest(dataDir: string, req: ControlRequest, timeoutMs = 15_000): Promise<unknown> {
  let file: string;
  try {
    file = fittingSocketPath(dataDir); // a cut path could reach another program's socket
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) => {
    const c = net.connect(file);
    let buf = '';
    let settled = false;
    const done = (err: Error | null, v?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.destroy();
      if (err) reject(err);
      else resolve(v);
    };
    const timer = setTimeout(
      () => done(new QkmError('QKMD_NO_ANSWER', `qkmd did not answer on ${file} within ${timeoutMs / 1000} s; check qkmd's log and restart it if it is stuck.`)),
      timeoutMs,
    );
    c.setEncoding('utf8');
    c.on('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let reply: ControlReply;
      try {
        reply = JSON.parse(buf.slice(0, nl)) as ControlReply;
      } catch {
        return done(new QkmError('QKMD_BAD_ANSWER', 'qkmd answered something that is not JSON; check that qkmd and qkmcmds are the same version.'));
      }
      if (reply.ok) done(null, reply.result);
      else done(new QkmError('QKMD_REFUSED', reply.message, { params: { code: reply.code } }));
    });
    c.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
        done(new QkmError('QKMD_NOT_RUNNING', `qkmd is not running on ${dataDir}; start it (qkmd, or npm start) and try again.`));
      } else if (e.code === 'EACCES') {
        done(new QkmError('QKMD_FORBIDDEN', `You may not use qkmd's control socket ${file}; run this as the user qkmd runs as.`));
      } else {
        done(new QkmError('QKMD_UNREACHABLE', `qkmd cannot be reached on ${file} (${e.code ?? e.message}); check that it is running.`));
      }
    });
    c.on('close', () => done(new QkmError('QKMD_NO_ANSWER', 'qkmd closed the connection without an answer; it may be stopping, try again.')));
  });
}
