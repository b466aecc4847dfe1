import { spawnSync } from 'node:child_process';
import path from 'node:path';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { SYSTEM_PYTHON } from './pykmip.js';

/** One sample of a metric family: its labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const toNumber = (v: string | undefined): number => (v === undefined ? Number.NaN : v === '+Inf' || v === 'inf' ? Infinity : v === '-Inf' || v === '-inf' ? -Infinity : Number(v));

/** Counters and gauges as parse-prometheus-text-format (npm) reads them (it flattens labelled histograms, so not those). */
export function parsedSamples(text: string): Sample[] {
  return parsePrometheusTextFormat(text).flatMap((f: ParsedFamily) =>
    f.type === 'HISTOGRAM' || f.type === 'SUMMARY' ? [] : f.metrics.map((m) => ({ name: f.name, labels: m.labels ?? {}, value: toNumber(m.value) })));
}

/**
 * Every sample (histogram buckets, sums and counts included) as the Prometheus project's
 * Python parser reads them; it throws on malformed exposition text. Needs python3-prometheus-client.
 */
export function officialSamples(text: string): Sample[] {
  const r = spawnSync(SYSTEM_PYTHON, [path.join(import.meta.dirname, 'prometheus-samples.py')], { input: text, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`prometheus_client could not parse the metrics: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { name: string; labels: Record<string, string>; value: string }[]).map((s) => ({ name: s.name, labels: s.labels, value: toNumber(s.value) }));
}

/** The value of the one sample named `name` whose labels include `labels`; undefined if none. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
