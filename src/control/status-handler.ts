import type { ControlHandler, Handled } from './server.js';

/** Answers `status` with the document the status page serves, so `qkmcmds status --json` prints the same one. */
export function withStatusDocument(inner: ControlHandler, document: () => unknown): ControlHandler {
  return async (req): Promise<Handled> => (req.op === 'status' ? { reply: { ok: true, result: document() } } : inner(req));
}
