import { describe, expect, it } from 'vitest';
import { createMetrics, type MetricsSources } from '../../src/metrics/index.js';
import { parsedSamples, sampleValue } from '../helpers/prometheus.js';

/** Sources as qkmd gives them, with a keystore that can be lent away (its reads then throw). */
function box() {
  const state = {
    lent: false,
    libraries: [{ library: 'LIB1', used: 5, unused: 45, pendingBackup: 0 }, { library: 'LIB2', used: 0, unused: 50, pendingBackup: 50 }],
    lastBackupAt: null as number | null,
    peers: [] as { peer: string; entries: number; seconds: number }[],
    software: { active: { slot: 'base', version: '1.0.0' }, previous: null as { slot: string; version: string } | null, trial: null as unknown, failed: null as { slot: string; version: string } | null },
  };
  const keystore = <T>(v: () => T) => () => {
    if (state.lent) throw new Error('The keystore is lent to the administrator\'s console for a restore.');
    return v();
  };
  const sources: MetricsSources = {
    keys: keystore(() => state.libraries),
    lastBackupAt: keystore(() => state.lastBackupAt),
    hardware: () => ({ raid: { state: 'clean', array: 'md0', percent: null, finishSec: null }, disks: [] }),
    tickets: keystore(() => []),
    replication: () => state.peers,
    software: () => state.software,
    now: () => 1_000_000,
  };
  const said: string[] = [];
  const log = { warn: (_: Record<string, unknown>, msg: string) => void said.push(`warn ${msg}`), info: (_: Record<string, unknown>, msg: string) => void said.push(`info ${msg}`) };
  return { state, said, metrics: createMetrics({ sources, log }) };
}

const scrape = async (m: ReturnType<typeof box>['metrics']) => parsedSamples((await m.render()).body);

describe('metrics read at scrape time', () => {
  it('say "never" as an infinite backup age, and a library gone since the last scrape leaves no sample', async () => {
    const b = box();
    let m = await scrape(b.metrics);
    expect(sampleValue(m, 'qkm_backup_age_seconds')).toBe(Infinity);
    expect(sampleValue(m, 'qkm_last_backup_timestamp_seconds')).toBe(0);
    expect(sampleValue(m, 'qkm_keys', { library: 'LIB2', state: 'pending_backup' })).toBe(50);
    expect(sampleValue(m, 'qkm_raid_rebuild_percent')).toBeUndefined();

    b.state.lastBackupAt = 400_000;
    b.state.libraries = b.state.libraries.slice(0, 1);
    m = await scrape(b.metrics);
    expect(sampleValue(m, 'qkm_backup_age_seconds')).toBe(600);
    expect(sampleValue(m, 'qkm_keys', { library: 'LIB2', state: 'unused' })).toBeUndefined();
    expect(sampleValue(m, 'qkm_key_allocations_total', { library: 'LIB1' })).toBe(5);
  });

  it('leave out what cannot be read (the keystore lent for a restore), say so once, and never show a backup age of 0 for it', async () => {
    const b = box();
    b.state.lent = true;
    const first = await scrape(b.metrics);
    await scrape(b.metrics);
    expect(sampleValue(first, 'qkm_status_source_up', { source: 'keys' })).toBe(0);
    expect(sampleValue(first, 'qkm_status_source_up', { source: 'hardware' })).toBe(1);
    expect(sampleValue(first, 'qkm_keys', { library: 'LIB1', state: 'used' })).toBeUndefined();
    expect(sampleValue(first, 'qkm_backup_age_seconds')).toBeNaN();
    expect(sampleValue(first, 'qkm_raid_state', { state: 'clean' })).toBe(1);
    expect(b.said.filter((s) => s.startsWith('warn'))).toHaveLength(3); // keys, lastBackupAt, tickets: once each for two scrapes

    b.state.lent = false;
    const back = await scrape(b.metrics);
    expect(sampleValue(back, 'qkm_status_source_up', { source: 'keys' })).toBe(1);
    expect(b.said.filter((s) => s.startsWith('info'))).toHaveLength(3);
  });

  it('read each source once per scrape, however many figures come from it', async () => {
    const b = box();
    let reads = 0;
    const libraries = b.state.libraries;
    Object.defineProperty(b.state, 'libraries', {
      get: () => {
        reads++;
        return libraries;
      },
    });
    // Two scrapes back to back, in the same turn of the event loop: each reads afresh.
    await b.metrics.render();
    expect(reads).toBe(1);
    await b.metrics.render();
    expect(reads).toBe(2);
  });

  it("show each peer's lag, and the software slots as info: the running one, the one a rollback returns to, a failed trial", async () => {
    const b = box();
    b.state.peers = [{ peer: 'QKM0002', entries: 12, seconds: 7 }];
    b.state.software = { active: { slot: 'b', version: '1.2.0' }, previous: { slot: 'a', version: '1.1.0' }, trial: { since: 'now', starts: 1 }, failed: { slot: 'a', version: '1.1.5' } };
    const m = await scrape(b.metrics);
    expect(sampleValue(m, 'qkm_replication_lag_entries', { peer: 'QKM0002' })).toBe(12);
    expect(sampleValue(m, 'qkm_replication_lag_seconds', { peer: 'QKM0002' })).toBe(7);
    expect(m.filter((s) => s.name === 'qkm_software_info').map((s) => [s.labels.role, s.labels.slot, s.labels.version, s.value])).toEqual([
      ['active', 'b', '1.2.0', 1], ['previous', 'a', '1.1.0', 1], ['failed', 'a', '1.1.5', 1],
    ]);
    expect(sampleValue(m, 'qkm_software_trial')).toBe(1);
  });
});
