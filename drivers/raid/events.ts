import type { RaidEvent, RaidListener, RaidMember, RaidStatus } from './contract.js';

/** Listener bookkeeping shared by the backends; a throwing listener does not stop the others. */
export class RaidEmitter {
  private readonly listeners = new Set<RaidListener>();

  subscribe(listener: RaidListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: RaidEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // One faulty listener must not blind the others to a disk failure.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }

  get size(): number {
    return this.listeners.size;
  }
}

function key(m: RaidMember): string {
  return m.bay !== null ? `bay${m.bay}` : m.device;
}

/**
 * Explains the change between two readings as events. Backends that only poll
 * (md, storcli) get their events from here; progress is reported each time it
 * crosses a multiple of `progressStep` percent.
 */
export function diffRaidStatus(prev: RaidStatus, next: RaidStatus, progressStep = 10): RaidEvent[] {
  const out: RaidEvent[] = [];
  const before = new Map(prev.members.map((m) => [key(m), m]));
  const after = new Map(next.members.map((m) => [key(m), m]));

  for (const [k, m] of after) {
    const old = before.get(k);
    const present = m.state !== 'missing';
    const wasPresent = old !== undefined && old.state !== 'missing';
    if (present && !wasPresent) out.push({ type: 'disk-added', bay: m.bay, device: m.device });
    if (m.state === 'faulty' && old?.state !== 'faulty') {
      out.push(old?.state === 'rebuilding'
        ? { type: 'rebuild-failed', bay: m.bay, device: m.device }
        : { type: 'disk-failed', bay: m.bay, device: m.device });
    }
    if (m.state === 'rebuilding' && old?.state !== 'rebuilding') out.push({ type: 'rebuild-started', bay: m.bay, device: m.device });
    if (m.state === 'active' && old?.state === 'rebuilding') out.push({ type: 'rebuild-finished', bay: m.bay, device: m.device });
  }
  for (const [k, old] of before) {
    const m = after.get(k);
    if (old.state !== 'missing' && (m === undefined || m.state === 'missing')) {
      if (old.state === 'rebuilding') out.push({ type: 'rebuild-failed', bay: old.bay, device: old.device });
      out.push({ type: 'disk-removed', bay: old.bay, device: old.device });
    }
  }
  // A backend that cannot tell which member rebuilds still shows the array recovering.
  const named = out.some((e) => e.type === 'rebuild-started');
  if (next.state === 'recovering' && prev.state !== 'recovering' && !named) {
    out.push({ type: 'rebuild-started', bay: null, device: '' });
  }
  if (prev.state === 'recovering' && next.state === 'clean' && !out.some((e) => e.type === 'rebuild-finished')) {
    out.push({ type: 'rebuild-finished', bay: null, device: '' });
  }
  if (next.state === 'recovering' && prev.state === 'recovering' && next.percent !== null && prev.percent !== null) {
    if (Math.floor(next.percent / progressStep) > Math.floor(prev.percent / progressStep)) {
      out.push({ type: 'rebuild-progress', percent: next.percent });
    }
  }
  if (next.state === 'degraded' && prev.state !== 'degraded' && prev.state !== 'recovering') out.push({ type: 'array-degraded' });
  if (next.state === 'failed' && prev.state !== 'failed') out.push({ type: 'array-failed' });
  return out;
}
