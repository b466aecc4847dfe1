import { Counter, type Metric, type Registry } from 'prom-client';
import type { RequestMessage, ResponseMessage } from '../kmip/messages/index.js';
import { operationName } from '../kmip/operations/batch.js';
import { ResultStatus } from '../kmip/ttlv/index.js';
import { enumName } from '../kmip/ttlv/enums.js';

/** What the KMIP handler calls once a request is answered: the request, its response and how long it took. */
export type KmipObserver = (request: RequestMessage, response: ResponseMessage, seconds: number) => void;

/**
 * From a tape mount's single Get (tens of microseconds) to a 4096-key generation waiting
 * for the peer (seconds).
 */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH = -1;

interface Latency {
  operation: string;
  /** Observations per bucket, not cumulative; the last one is past the highest bound. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * KMIP requests by operation and result, and their latency. This runs on every request,
 * where prom-client would hash a label set for each increment (a microsecond or more per
 * request): here a request adds to plain numbers found by operation code, and prom-client
 * is handed the totals when Prometheus scrapes.
 */
export function kmipRequestMetrics(registry: Registry): KmipObserver {
  const answered = new Map<number, { operation: string; result: string; n: number }>();
  const timed = new Map<number, Latency>();

  new Counter({
    name: 'qkm_kmip_requests_total',
    help: 'KMIP batch items answered, by operation and result status.',
    labelNames: ['operation', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const a of answered.values()) this.inc({ operation: a.operation, result: a.result }, a.n);
    },
  });
  registry.registerMetric(latencyHistogram(timed) as unknown as Metric);

  const tally = (operation: number, result: number) => {
    const key = operation * 256 + (result & 0xff);
    let a = answered.get(key);
    if (!a) {
      a = { operation: operationName(operation), result: enumName(ResultStatus, result) ?? String(result), n: 0 };
      answered.set(key, a);
    }
    a.n++;
  };
  const latency = (operation: number) => {
    let l = timed.get(operation);
    if (!l) {
      l = { operation: operation === BATCH ? 'Batch' : operationName(operation), buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      timed.set(operation, l);
    }
    return l;
  };

  return (request, response, seconds) => {
    const items = response.batchItems;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      tally(item.operation ?? request.batchItems[i]?.operation ?? 0, item.resultStatus);
    }
    const l = latency(request.batchItems.length === 1 ? request.batchItems[0]!.operation : BATCH);
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[b]!) b++;
    l.buckets[b]!++;
    l.sum += seconds;
    l.count++;
  };
}

/**
 * The latency histogram as prom-client's registry reads a metric (its name, help, type and
 * samples from `get()`), built from the tallies at scrape time: prom-client's Histogram
 * can only be fed one observation at a time.
 */
function latencyHistogram(timed: ReadonlyMap<number, Latency>) {
  const name = 'qkm_kmip_request_duration_seconds';
  return {
    name,
    help: 'Time from a decoded KMIP request to its response, by operation ("Batch" for a request of several items).',
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const l of timed.values()) {
        let below = 0;
        LATENCY_BUCKETS.forEach((le, i) => {
          below += l.buckets[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { le, operation: l.operation }, value: below });
        });
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', operation: l.operation }, value: l.count });
        values.push({ metricName: `${name}_sum`, labels: { operation: l.operation }, value: l.sum });
        values.push({ metricName: `${name}_count`, labels: { operation: l.operation }, value: l.count });
      }
      return Promise.resolve({ name, help: this.help, type: this.type, aggregator: this.aggregator, values });
    },
  };
}
