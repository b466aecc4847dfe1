import { controlRequest } from '../control/client.js';
import type { MetricsReply } from '../control/metrics-handler.js';

/** `metrics`: the running qkmd's Prometheus metrics, in the exposition text GET /metrics serves. */
export async function scrapeMetrics(dataDir: string): Promise<string> {
  return ((await controlRequest(dataDir, { op: 'metrics' })) as MetricsReply).text;
}
