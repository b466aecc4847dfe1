import { openSerialStream, type SerialBinding } from '../../drivers/serial/open-port.js';
import { SerialTerminal } from './terminal.js';

export interface GettyLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GettyOptions {
  binding: SerialBinding;
  path: string;
  baudRate: number;
  log: GettyLog;
  /** How long to wait before opening a port again that could not be opened or went away. */
  retryMs: number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Ends the service: the port is closed, the session ends as a hang-up ends it. */
  signal: AbortSignal;
  /** What the line gets while it is there (the logins). */
  serve: (term: SerialTerminal) => Promise<void>;
}

/**
 * Keeps a console on a serial line, as getty does: opens the port, serves it until it
 * goes away (an adapter unplugged), then waits for it to come back. A port that cannot
 * be opened is said once, not at every try.
 */
export async function keepConsoleLine(o: GettyOptions): Promise<void> {
  let complained = false;
  while (!o.signal.aborted) {
    let port: Awaited<ReturnType<typeof openSerialStream>>;
    try {
      port = await openSerialStream(o.binding, o.path, o.baudRate);
    } catch (e) {
      if (!complained) o.log.warn({ port: o.path, err: e }, `The serial console cannot open its port: ${(e as Error).message} Trying again every ${o.retryMs / 1000} s.`);
      complained = true;
      await o.sleep(o.retryMs, o.signal);
      continue;
    }
    complained = false;
    o.log.info({ port: o.path, baudRate: o.baudRate }, 'serial console open for logins');
    // A read error ends in a close, which the terminal takes as a hang-up.
    port.on('error', () => {});
    const term = new SerialTerminal(port);
    const close = () => port.close(() => {});
    o.signal.addEventListener('abort', close);
    try {
      await o.serve(term);
    } catch (e) {
      o.log.error({ err: e, port: o.path }, 'the serial console failed');
    } finally {
      o.signal.removeEventListener('abort', close);
      if (port.isOpen) close();
    }
    if (!o.signal.aborted) {
      o.log.warn({ port: o.path }, 'the serial console\'s port went away; its session ended, applying nothing it had staged');
      await o.sleep(o.retryMs, o.signal);
    }
  }
}
