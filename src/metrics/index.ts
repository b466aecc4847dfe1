/**
 * qkmd's Prometheus metrics: one registry, filled by prom-client. The KMIP handler and the
 * TLS transport call `kmip` and `tlsRefusal` as things happen (counters); everything that
 * describes a state is read from `sources` when the metrics are rendered.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { type KmipObserver, kmipRequestMetrics } from './kmip-requests.js';
import type { MetricsSources } from './sources.js';
import { stateMetrics } from './state-gauges.js';
import { type RefusalObserver, tlsRefusalMetrics } from './tls-refusals.js';

export type { KmipObserver } from './kmip-requests.js';
export type { RefusalObserver } from './tls-refusals.js';
export type * from './sources.js';

export interface MetricsLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
}

export interface QkmMetrics {
  registry: Registry;
  /** The exposition text and its Content-Type header, for GET /metrics (or the control socket). */
  render(): Promise<{ contentType: string; body: string }>;
  /** For the KMIP handler's `observe`. */
  kmip: KmipObserver;
  /** For the TLS server's `onRefusal`. */
  tlsRefusal: RefusalObserver;
}

export function createMetrics(deps: { sources: MetricsSources; log?: MetricsLogger }): QkmMetrics {
  const registry = new Registry();
  // The process's own figures (CPU, memory, event loop lag), under the names every Node exporter uses.
  collectDefaultMetrics({ register: registry });
  const failing = new Set<string>();
  // Said once when a source fails and once when it is back, not at every scrape.
  const { startScrape } = stateMetrics(registry, deps.sources, (source, err) => {
    if (err === undefined) {
      if (failing.delete(source)) deps.log?.info({ source }, 'the metrics read this part of the status again');
    } else if (!failing.has(source)) {
      failing.add(source);
      deps.log?.warn({ source, err }, 'a part of the status cannot be read for the metrics; its figures are left out until it can');
    }
  });
  const kmip = kmipRequestMetrics(registry);
  const tlsRefusal = tlsRefusalMetrics(registry);
  return {
    registry,
    kmip,
    tlsRefusal,
    async render() {
      startScrape();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
