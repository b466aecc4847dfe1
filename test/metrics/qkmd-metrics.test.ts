import { connect } from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponseMessage, encodeRequestMessage } from '../../src/kmip/messages/index.js';
import { ResultStatus } from '../../src/kmip/ttlv/index.js';
import { qkmcmds, startQkmd } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { initBackupKey } from '../helpers/backup-key.js';
import { prepareLibrary } from '../helpers/qkmd-kmip.js';
import { exchangeFrame } from '../helpers/kmip-tls.js';
import { V, op } from '../kmip/operations-client.js';
import { type Sample, officialSamples, parsedSamples, sampleValue as value } from '../helpers/prometheus.js';
import { needsPythonModule } from '../helpers/tools.js';

const official = needsPythonModule('prometheus_client', 'python3-prometheus-client', 'test/metrics/qkmd-metrics.test.ts');

/**
 * `qkmcmds metrics` against a real qkmd, read back with parsers of the exposition format we
 * did not write (parse-prometheus-text-format from npm; the Prometheus project's Python
 * parser, which also reads labelled histograms and refuses malformed text) and compared
 * with what the status commands say after real KMIP requests over TLS, refused clients and
 * a pulled disk.
 */
const ENV = { QKM_KEYS_I500: '50', QKM_SIM_REBUILD_SECONDS: '600', QKM_SIM_REBUILD_START_SECONDS: '1', QKM_AGENT_POLL_SECONDS: '1' };

let dir: string;
let qkmd: Awaited<ReturnType<typeof startQkmd>>;
let port: number;
let bundle: { ca: Buffer; cert: Buffer; key: Buffer };

const run = (...args: string[]) => {
  const r = qkmcmds(['--data-dir', dir, ...args], ENV);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};
const json = <T>(...args: string[]): T => JSON.parse(run(...args)) as T;

function scrape(): Sample[] {
  return parsedSamples(run('metrics'));
}

const samples = (m: readonly Sample[], name: string) => m.filter((s) => s.name === name).map(({ labels, value: v }) => ({ labels, value: v }));

function exchange(request: Uint8Array): Promise<Buffer> {
  return exchangeFrame({ host: '127.0.0.1', port, ca: bundle.ca, cert: bundle.cert, key: bundle.key, servername: 'localhost', minVersion: 'TLSv1.2' }, request);
}

const request = (...items: ReturnType<typeof op.get>[]) => encodeRequestMessage({ header: { protocolVersion: V['1.2'], batchCount: items.length }, batchItems: items });

async function eventually<T>(read: () => T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = tempDir('qkm-metrics-');
  qkmd = await startQkmd(['--data-dir', dir], ENV);
  port = Number(/key server listening on 127\.0\.0\.1:(\d+)/.exec(qkmd.output().stdout)![1]);
  run('keys', 'generate', '--library', 'LIB1', '--class', 'i500');
  run('keys', 'generate', '--library', 'LIB2', '--class', 'i500');
  initBackupKey(dir);
  run('backup');
  // Generated after the backup: pending backup until the next one.
  run('keys', 'generate', '--library', 'LIB3', '--class', 'i500');
  const files = await prepareLibrary({ dataDir: dir, library: 'LIB1', dir: path.join(dir, 'bundle'), env: ENV });
  bundle = { ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key) };
});
afterAll(async () => {
  qkmd.child.kill('SIGTERM');
  await qkmd.exited;
  removeDir(dir);
});

describe('qkmd metrics', () => {
  it('count keys per library by state as keys status says, and the KMIP requests by operation and result', async () => {
    for (let i = 0; i < 3; i++) {
      const r = decodeResponseMessage(await exchange(request(op.create(V['1.2']))));
      expect(r.batchItems[0]!.resultStatus).toBe(ResultStatus.Success);
    }
    const missing = decodeResponseMessage(await exchange(request(op.get('no-such-key'))));
    expect(missing.batchItems[0]!.resultStatus).toBe(ResultStatus.OperationFailed);
    const batch = decodeResponseMessage(await exchange(request(op.create(V['1.2']), op.get())));
    expect(batch.batchItems.map((b) => b.resultStatus)).toEqual([ResultStatus.Success, ResultStatus.Success]);

    const m = scrape();
    const status = json<{ library: string; used: number; unused: number; pendingBackup: number }[]>('keys', 'status', '--json');
    expect(status.map((s) => s.library)).toEqual(['LIB1', 'LIB2', 'LIB3']);
    for (const s of status) {
      expect(value(m, 'qkm_keys', { library: s.library, state: 'used' })).toBe(s.used);
      expect(value(m, 'qkm_keys', { library: s.library, state: 'unused' })).toBe(s.unused);
      expect(value(m, 'qkm_keys', { library: s.library, state: 'pending_backup' })).toBe(s.pendingBackup);
      expect(value(m, 'qkm_key_allocations_total', { library: s.library })).toBe(s.used);
    }
    expect(status.find((s) => s.library === 'LIB1')!.used).toBe(4);
    expect(status.find((s) => s.library === 'LIB3')!.pendingBackup).toBe(50);

    expect(value(m, 'qkm_kmip_requests_total', { operation: 'Create', result: 'Success' })).toBe(4);
    expect(value(m, 'qkm_kmip_requests_total', { operation: 'Get', result: 'Success' })).toBe(1);
    expect(value(m, 'qkm_kmip_requests_total', { operation: 'Get', result: 'OperationFailed' })).toBe(1);

    // The backup a minute ago at most; the software as update --status says it.
    expect(value(m, 'qkm_backup_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(m, 'qkm_backup_age_seconds')).toBeLessThan(120);
    const version = run('-v').trim().split(/\s+/).at(-1)!;
    expect(samples(m, 'qkm_software_info')).toEqual([{ labels: { role: 'active', slot: 'base', version }, value: 1 }]);
    expect(value(m, 'qkm_software_trial')).toBe(0);
    expect(samples(m, 'qkm_status_source_up').every((s) => s.value === 1)).toBe(true);
  });

  it('count refused clients by reason: no client certificate, not TLS at all', async () => {
    const before = scrape();
    const refusals = (m: readonly Sample[], reason: string) => value(m, 'qkm_tls_refusals_total', { reason }) ?? Number.NaN;
    await exchangeFrame({ host: '127.0.0.1', port, ca: bundle.ca, servername: 'localhost', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, request(op.get())).catch(() => undefined);
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET /metrics HTTP/1.1\r\nHost: qkm\r\n\r\n'));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    const after = await eventually(scrape, (m) => refusals(m, 'not_tls') > refusals(before, 'not_tls') && refusals(m, 'no_certificate') > refusals(before, 'no_certificate'));
    expect(refusals(after, 'no_certificate')).toBe(refusals(before, 'no_certificate') + 1);
    expect(refusals(after, 'not_tls')).toBe(refusals(before, 'not_tls') + 1);
    expect(refusals(after, 'revoked')).toBe(0);
  });

  it('show the RAID, the disks and the open tickets as hw status and tickets say, after sim pull-disk 1 and while the new disk rebuilds', async () => {
    interface Hw { raid: { state: string; percent: number | null; array: string | null }; disks: { bay: number; present: boolean; serial: string | null; temperatureC: number | null; smartPassed: boolean | null }[] }
    const check = (m: readonly Sample[], hw: Hw) => {
      expect(value(m, 'qkm_raid_state', { state: hw.raid.state })).toBe(1);
      expect(samples(m, 'qkm_raid_state').filter((s) => s.value === 1)).toHaveLength(1);
      for (const d of hw.disks) {
        expect(value(m, 'qkm_disk_present', { bay: String(d.bay) })).toBe(d.present ? 1 : 0);
        if (!d.present) continue;
        expect(value(m, 'qkm_disk_temperature_celsius', { bay: String(d.bay), serial: d.serial ?? '' })).toBe(d.temperatureC ?? undefined);
        expect(value(m, 'qkm_disk_smart_healthy', { bay: String(d.bay), serial: d.serial ?? '' })).toBe(d.smartPassed === null ? undefined : Number(d.smartPassed));
      }
      const open = json<{ severity: string }[]>('tickets', '--json');
      for (const severity of ['info', 'warning', 'error', 'critical']) {
        expect(value(m, 'qkm_tickets_open', { severity })).toBe(open.filter((t) => t.severity === severity).length);
      }
    };
    const healthy = scrape();
    check(healthy, json<Hw>('hw', 'status', '--json'));
    expect(value(healthy, 'qkm_raid_state', { state: 'clean' })).toBe(1);

    expect(run('sim', 'pull-disk', '1')).toMatch(/Pulled disk/);
    const hw = json<Hw>('hw', 'status', '--json');
    const pulled = scrape();
    expect(hw.raid.state).toBe('degraded');
    check(pulled, hw);
    expect(value(pulled, 'qkm_disk_present', { bay: '1' })).toBe(0);
    expect(samples(pulled, 'qkm_tickets_open').reduce((n, s) => n + s.value, 0)).toBeGreaterThan(0);

    run('sim', 'insert-disk', '1');
    const rebuilding = await eventually(() => json<Hw>('hw', 'status', '--json'), (h) => h.raid.percent !== null);
    expect(rebuilding.raid.state).toBe('recovering');
    const m = scrape();
    check(m, rebuilding);
    // The rebuild goes on between the two reads: 600 s for the whole disk, so a few tenths of a percent at most.
    expect(value(m, 'qkm_raid_rebuild_percent', { array: rebuilding.raid.array ?? '' })).toBeCloseTo(rebuilding.raid.percent!, 0);
    expect(value(m, 'qkm_raid_rebuild_remaining_seconds', { array: rebuilding.raid.array ?? '' })).toBeGreaterThan(0);
  });

  it.skipIf(official.skip)('read whole with the Prometheus parser: the KMIP latency histogram counts each request once, by operation', () => {
    const m = officialSamples(run('metrics'));
    const count = (operation: string) => value(m, 'qkm_kmip_request_duration_seconds_count', { operation });
    // Three single Creates, one Get that failed, one batch of Create and Get (the first test).
    expect(count('Create')).toBe(3);
    expect(count('Get')).toBe(1);
    expect(count('Batch')).toBe(1);
    expect(value(m, 'qkm_kmip_request_duration_seconds_bucket', { operation: 'Create', le: '+Inf' })).toBe(3);
    expect(value(m, 'qkm_kmip_request_duration_seconds_sum', { operation: 'Create' })).toBeGreaterThan(0);
    // The same counters as the other parser read.
    expect(value(m, 'qkm_kmip_requests_total', { operation: 'Create', result: 'Success' })).toBe(4);
    expect(value(m, 'qkm_keys', { library: 'LIB3', state: 'pending_backup' })).toBe(50);
  });
});
