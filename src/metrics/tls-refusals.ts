import { Counter, type Registry } from 'prom-client';
import { REFUSAL_CODES, type RefusalCode } from '../kmip/tls/index.js';

/** What the key server's transport calls for each client it refuses. */
export type RefusalObserver = (code: RefusalCode) => void;

/** TLS handshake refusals by reason: every reason is shown from the start, at 0, so a rate works at once. */
export function tlsRefusalMetrics(registry: Registry): RefusalObserver {
  const refusals = new Counter({
    name: 'qkm_tls_refusals_total',
    help: 'Key server clients refused before or during the TLS handshake, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const children = new Map(REFUSAL_CODES.map((code) => [code, refusals.labels(code)] as const));
  for (const child of children.values()) child.inc(0);
  return (code) => children.get(code)?.inc();
}
