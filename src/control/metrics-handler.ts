import type { ControlHandler, Handled } from './server.js';

/** What `metrics` answers: the Prometheus exposition text and its Content-Type. */
export interface MetricsReply {
  contentType: string;
  text: string;
}

/** Adds `metrics` to a control handler: the same text GET /metrics serves, for the box's own console. */
export function withMetrics(inner: ControlHandler, render: () => Promise<{ contentType: string; body: string }>): ControlHandler {
  return async (req): Promise<Handled> => {
    if (req.op !== 'metrics') return inner(req);
    const { contentType, body } = await render();
    const result: MetricsReply = { contentType, text: body };
    return { reply: { ok: true, result } };
  };
}
