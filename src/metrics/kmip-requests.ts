import { Counter, Histogram, type Registry } from 'prom-client';
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

/**
 * KMIP requests by operation and result, and their latency. This runs on every request,
 * so the labelled children are looked up once per (operation, result) and kept: a request
 * costs two map reads and two increments, never a label string built or hashed.
 */
export function kmipRequestMetrics(registry: Registry): KmipObserver {
  const requests = new Counter({
    name: 'qkm_kmip_requests_total',
    help: 'KMIP batch items answered, by operation and result status.',
    labelNames: ['operation', 'result'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'qkm_kmip_request_duration_seconds',
    help: 'Time from a decoded KMIP request to its response, by operation ("Batch" for a request of several items).',
    labelNames: ['operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const counted = new Map<number, Counter.Internal>();
  const timed = new Map<number, Histogram.Internal<'operation'>>();
  const BATCH = -1;

  const counter = (operation: number, result: number) => {
    const key = operation * 256 + (result & 0xff);
    let child = counted.get(key);
    if (!child) {
      child = requests.labels(operationName(operation), enumName(ResultStatus, result) ?? String(result));
      counted.set(key, child);
    }
    return child;
  };
  const histogram = (operation: number) => {
    let child = timed.get(operation);
    if (!child) {
      child = latency.labels(operation === BATCH ? 'Batch' : operationName(operation));
      timed.set(operation, child);
    }
    return child;
  };

  return (request, response, seconds) => {
    const items = response.batchItems;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      counter(item.operation ?? request.batchItems[i]?.operation ?? 0, item.resultStatus).inc();
    }
    histogram(request.batchItems.length === 1 ? request.batchItems[0]!.operation : BATCH).observe(seconds);
  };
}
