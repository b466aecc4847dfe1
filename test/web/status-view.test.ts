import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { takeBackup } from '../../src/engine/backup.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import type { PeerStatus } from '../../src/pair/status.js';
import { statusDocument } from '../../src/status/document.js';
import { ledSection, raidSection, type HwStatus } from '../../src/status/hardware.js';
import { statusBody } from '../../src/web/status-view.js';
import { statusSchemaProblems } from '../../harness/status-http.js';
import { testBackupKey } from '../helpers/backup-key.js';
import { openEngine, removeDir, tempDir, testWorld } from '../helpers/engine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

/** A quiet box's hardware reading (the agent's own section builders, every LED dark). */
const hw: HwStatus = {
  leds: ledSection(() => ({ state: 'off' }), 2), raid: raidSection(null), disks: [], cd: { present: false, trayOpen: null, media: null, busy: false },
  usb: { devices: [], unavailable: null }, post: null, tickets: [], agent: { profile: 'sim', running: true, at: null, passes: 0, serverError: false, blind: [], drivers: {} },
};
const software = { active: { slot: 'base', version: '0.1.0' }, previous: null, trial: null, failed: null };

function documentOf(engine: KeyEngine, world: { now(): number }, peers: PeerStatus[] = []) {
  return statusDocument({
    now: world.now(), server: { serial: 'QKMTEST01', hostname: 'qkmserver', version: '0.1.0', profile: 'sim' }, hw,
    openTickets: engine.tickets.list({ openOnly: true }), ticketText: (t) => t.text,
    keys: { libraries: engine.status(), backup: engine.backupState() }, depletionPercent: 80,
    pair: { role: peers.length ? 'primary' : 'standalone', peers }, software,
  });
}

describe('the status page body', () => {
  it('warns about keys generated since the last backup until a backup holds them, then shows when it was taken', async () => {
    const dir = tempDir('qkm-web-view-');
    dirs.push(dir);
    const world = testWorld();
    const engine = openEngine(dir, {}, world);
    try {
      await engine.generateInParallel('LIB1', 'i500');
      let doc = documentOf(engine, world);
      expect(doc.keys).toMatchObject({ lastBackupAt: null, setsSinceBackup: 1, keysSinceBackup: 64 });
      expect(statusBody(doc)).toContain('64 keys in 1 set were generated since the last backup and are in no backup: take a backup.');
      expect(statusSchemaProblems()(doc)).toBeNull();
      world.advance(60_000);
      await takeBackup(engine, world, { toDir: path.join(dir, 'out'), backupKey: await testBackupKey(world) });
      doc = documentOf(engine, world);
      expect(doc.keys).toMatchObject({ lastBackupAt: new Date(world.now()).toISOString(), setsSinceBackup: 0, keysSinceBackup: 0 });
      expect(statusBody(doc)).not.toContain('generated since the last backup');
      expect(doc.tickets.map((t) => t.condition)).not.toContain('backup-needed');
    } finally {
      engine.store.close();
    }
  });

  it('draws every text it did not write as text, never as markup', () => {
    const doc = statusDocument({
      now: 0, server: { serial: 'S', hostname: 'h', version: 'v', profile: 'sim' }, hw, keys: null, depletionPercent: 80, software,
      openTickets: [{ id: 1, condition: 'c', severity: 'error', open: true, text: '', kind: null, params: null, openedAt: 0, closedAt: null }],
      ticketText: () => '<img src=x onerror=alert(1)>',
      pair: { role: 'secondary', peers: [{ serial: 'P<b>', address: 'a', role: null, reachable: false, problem: '"><script>', lastContact: null, lagEntries: 3, lagSeconds: 9, version: { self: '1', peer: '2' }, versionsDiffer: true }] },
    });
    const html = statusBody(doc);
    expect(html).not.toMatch(/<img|<script|<b>/);
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(html).toContain('The two servers run different versions; update both to the same version.');
    expect(html).toContain('The keystore is lent to the console for a restore');
  });
});
