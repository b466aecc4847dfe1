import type { ControlHandler, Handled } from './server.js';

/** What the control socket may do to the key server: refuse libraries, or serve them again. */
export interface PausableKeyServer {
  readonly paused: boolean;
  readonly connectionCount: number;
  pause(): void;
  resume(): void;
}

export interface KeyServiceStatus { running: boolean; connections: number }

/**
 * Adds `key-service stop|start|status` to a control handler. Stopping the key service
 * refuses and closes library connections while everything else (the hardware agent, the
 * console) keeps running; the server may not be up yet when the socket already answers.
 */
export function withKeyService(inner: ControlHandler, server: () => PausableKeyServer | undefined): ControlHandler {
  return async (req): Promise<Handled> => {
    if (req.op !== 'key-service') return inner(req);
    const s = server();
    if (!s) return { reply: { ok: false, code: 'KEY_SERVICE_STARTING', message: 'The key service is still starting; try again in a moment.' } };
    if (req.action === 'stop') s.pause();
    if (req.action === 'start') s.resume();
    const status: KeyServiceStatus = { running: !s.paused, connections: s.connectionCount };
    return { reply: { ok: true, result: status } };
  };
}
