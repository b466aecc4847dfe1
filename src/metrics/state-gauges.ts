import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsSources } from './sources.js';

type SourceName = Exclude<keyof MetricsSources, 'now'>;
/** Told of each source read for a scrape: with the error when it failed. */
export type SourceReport = (source: string, err?: unknown) => void;
const SOURCE_NAMES: readonly SourceName[] = ['keys', 'lastBackupAt', 'hardware', 'tickets', 'replication', 'software'];

/** Every state a RAID reading can have (drivers/raid/contract.ts ArrayState, and "unknown" with no reading). */
const RAID_STATES = ['clean', 'degraded', 'recovering', 'recovery-pending', 'resyncing', 'reshaping', 'failed', 'container', 'unknown'];
const SEVERITIES = ['info', 'warning', 'error', 'critical'];

/**
 * Reads each source at most once per scrape: several gauges share a reading (the keys'
 * states and the allocations). `startScrape` forgets the readings; so does the next turn
 * of the event loop, for a caller that renders the registry itself (a scrape's collect
 * callbacks all run before the loop turns). A source that throws reads as undefined;
 * `report` hears of each reading, with the error of a failed one.
 */
function scrapeReadings(sources: MetricsSources, report: SourceReport) {
  const memo = new Map<SourceName, { value: unknown } | null>();
  let clearing = false;
  const read = <K extends SourceName>(name: K): ReturnType<MetricsSources[K]> | undefined => {
    if (!clearing) {
      clearing = true;
      setImmediate(() => {
        memo.clear();
        clearing = false;
      });
    }
    if (!memo.has(name)) {
      try {
        memo.set(name, { value: sources[name]() });
        report(name);
      } catch (e) {
        memo.set(name, null);
        report(name, e);
      }
    }
    return memo.get(name)?.value as ReturnType<MetricsSources[K]> | undefined;
  };
  return { read, startScrape: () => memo.clear() };
}

/*
 * A gauge without labels always shows a sample (prom-client keeps a 0 there): when its
 * source cannot be read it shows NaN, never a 0 that would read as "just backed up".
 */

/** Sets a gauge's samples afresh: a library, disk or peer that is gone leaves no stale sample. */
function fresh<T extends string>(g: Gauge<T>, samples: Iterable<[Partial<Record<T, string | number>>, number]>): void {
  g.reset();
  for (const [labels, value] of samples) g.set(labels, value);
}

/**
 * The gauges that say how things are now, read from `sources` when Prometheus scrapes
 * (never kept up to date in between, so the hot paths pay nothing for them).
 */
export function stateMetrics(registry: Registry, sources: MetricsSources, report: SourceReport): { startScrape(): void } {
  const registers = [registry];
  const { read, startScrape } = scrapeReadings(sources, report);
  // Registered first, so that its collect reads every source (and says which failed) before the rest.
  new Gauge({
    name: 'qkm_status_source_up', help: 'Whether a part of the status could be read for this scrape (0: its figures are missing; see qkmd.log).',
    labelNames: ['source'] as const, registers,
    collect() {
      for (const s of SOURCE_NAMES) this.set({ source: s }, read(s) === undefined ? 0 : 1);
    },
  });

  new Gauge({
    name: 'qkm_keys', help: 'Keys per library by state: used (handed to a tape), unused, pending_backup (unused keys no backup holds yet; part of unused).',
    labelNames: ['library', 'state'] as const, registers,
    collect() {
      fresh(this, (read('keys') ?? []).flatMap((l) => [
        [{ library: l.library, state: 'used' }, l.used],
        [{ library: l.library, state: 'unused' }, l.unused],
        [{ library: l.library, state: 'pending_backup' }, l.pendingBackup],
      ] as [Record<'library' | 'state', string>, number][]));
    },
  });
  new Counter({
    name: 'qkm_key_allocations_total', help: 'Keys handed out to tapes, per library, as the keystore counts them (kept across restarts; a restore to an older backup lowers it).',
    labelNames: ['library'] as const, registers,
    collect() {
      this.reset();
      for (const l of read('keys') ?? []) this.inc({ library: l.library }, l.used);
    },
  });
  // Never backed up reads as an infinite age and a zero time, so that an alert on either fires.
  new Gauge({
    name: 'qkm_backup_age_seconds', help: 'Seconds since the last backup was written (+Inf before the first).', registers,
    collect() {
      const at = read('lastBackupAt');
      if (at === undefined) return this.set(Number.NaN);
      this.set(at === null ? Number.POSITIVE_INFINITY : Math.max(0, (sources.now() - at) / 1000));
    },
  });
  new Gauge({
    name: 'qkm_last_backup_timestamp_seconds', help: 'When the last backup was written, in seconds since the Unix epoch (0 before the first).', registers,
    collect() {
      const at = read('lastBackupAt');
      if (at === undefined) return this.set(Number.NaN);
      this.set(at === null ? 0 : at / 1000);
    },
  });
  new Gauge({
    name: 'qkm_raid_state', help: 'The RAID mirror\'s state: 1 for the state it is in, 0 for the others.', labelNames: ['state'] as const, registers,
    collect() {
      const raid = read('hardware')?.raid;
      this.reset();
      if (!raid) return;
      for (const s of new Set([...RAID_STATES, raid.state])) this.set({ state: s }, s === raid.state ? 1 : 0);
    },
  });
  // Labelled by the array so that, with no rebuild running, there is no sample at all (an unlabelled gauge always shows one).
  new Gauge({
    name: 'qkm_raid_rebuild_percent', help: 'How far the RAID rebuild (or resync) has come, in percent (absent when none runs).', labelNames: ['array'] as const, registers,
    collect() {
      const raid = read('hardware')?.raid;
      fresh(this, raid?.percent == null ? [] : [[{ array: raid.array ?? '' }, raid.percent]]);
    },
  });
  new Gauge({
    name: 'qkm_raid_rebuild_remaining_seconds', help: 'The RAID\'s own estimate of the time left to finish the rebuild (absent when none runs).', labelNames: ['array'] as const, registers,
    collect() {
      const raid = read('hardware')?.raid;
      fresh(this, raid?.finishSec == null ? [] : [[{ array: raid.array ?? '' }, raid.finishSec]]);
    },
  });
  new Gauge({
    name: 'qkm_disk_present', help: 'Whether a disk is in the bay (bays numbered from 0 as on the front panel).', labelNames: ['bay'] as const, registers,
    collect() {
      fresh(this, (read('hardware')?.disks ?? []).map((d) => [{ bay: d.bay }, d.present ? 1 : 0]));
    },
  });
  new Gauge({
    name: 'qkm_disk_temperature_celsius', help: 'Each disk\'s temperature as SMART reports it.', labelNames: ['bay', 'serial'] as const, registers,
    collect() {
      fresh(this, (read('hardware')?.disks ?? []).filter((d) => d.present && d.temperatureC !== null).map((d) => [{ bay: d.bay, serial: d.serial ?? '' }, d.temperatureC!]));
    },
  });
  new Gauge({
    name: 'qkm_disk_smart_healthy', help: 'Each disk\'s SMART overall health: 1 passed, 0 failing (absent when unknown).', labelNames: ['bay', 'serial'] as const, registers,
    collect() {
      fresh(this, (read('hardware')?.disks ?? []).filter((d) => d.present && d.smartPassed !== null).map((d) => [{ bay: d.bay, serial: d.serial ?? '' }, d.smartPassed ? 1 : 0]));
    },
  });
  new Gauge({
    name: 'qkm_tickets_open', help: 'Open RAS tickets by severity.', labelNames: ['severity'] as const, registers,
    collect() {
      const open = read('tickets');
      this.reset();
      if (!open) return;
      for (const s of new Set([...SEVERITIES, ...open.map((t) => t.severity)])) this.set({ severity: s }, open.filter((t) => t.severity === s).length);
    },
  });
  new Gauge({
    name: 'qkm_replication_lag_entries', help: 'Changes of this server a peer of the pair has not acknowledged yet.', labelNames: ['peer'] as const, registers,
    collect() {
      fresh(this, (read('replication') ?? []).map((p) => [{ peer: p.peer }, p.entries]));
    },
  });
  new Gauge({
    name: 'qkm_replication_lag_seconds', help: 'Age of the oldest change a peer of the pair has not acknowledged (0 when it has them all).', labelNames: ['peer'] as const, registers,
    collect() {
      fresh(this, (read('replication') ?? []).map((p) => [{ peer: p.peer }, p.seconds]));
    },
  });
  new Gauge({
    name: 'qkm_software_info', help: 'The software slots: the version running (role active), the one a rollback returns to (previous), the last failed trial (failed). Always 1.',
    labelNames: ['role', 'slot', 'version'] as const, registers,
    collect() {
      const s = read('software');
      this.reset();
      if (!s) return;
      this.set({ role: 'active', slot: s.active.slot, version: s.active.version }, 1);
      if (s.previous) this.set({ role: 'previous', slot: s.previous.slot, version: s.previous.version }, 1);
      if (s.failed) this.set({ role: 'failed', slot: s.failed.slot, version: s.failed.version }, 1);
    },
  });
  new Gauge({
    name: 'qkm_software_trial', help: 'Whether the running version is on trial (not yet seen healthy).', registers,
    collect() {
      const s = read('software');
      this.set(s ? (s.trial ? 1 : 0) : Number.NaN);
    },
  });
  return { startScrape };
}
